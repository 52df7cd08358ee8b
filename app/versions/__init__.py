"""Versions and version ranges: one model (``vers:`` URIs) from intake to impact to CSAF."""
