"""``accord demo``: deterministic demo cases (seed), their report text (text) and the showcase
of every capability on a few chosen cases (showcase)."""
