"""Advisories: the side-by-side advisory editor."""
