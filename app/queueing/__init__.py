"""The case queue: filters and sorting in SQL (queue), saved shift-lead filters (filters) and
full-text search over cases and reports (search)."""
