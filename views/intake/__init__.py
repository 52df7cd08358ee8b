"""Report intake: importing files and spreadsheets, duplicate review, the raw-document viewer."""
