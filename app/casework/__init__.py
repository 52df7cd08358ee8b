"""Correcting and relating cases: identifiers, affected products, notes, embargo, merge, split,
links and references unique across organisations. Every change is audited and made against
the version of the case it read (app.concurrency)."""
