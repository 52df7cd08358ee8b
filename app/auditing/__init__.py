"""Accountability: the audit hash chain (chain) and the public, aggregate-only transparency
report (transparency)."""
