"""The shift lead's screens: the dashboard and the shift handover."""
