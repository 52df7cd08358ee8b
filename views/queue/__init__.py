"""The case queue: its Qt model, the panel with filters and search, saved filters."""
