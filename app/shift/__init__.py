"""The shift lead's work: the handover between shifts (handover) and the dashboard's figures
(dashboard)."""
