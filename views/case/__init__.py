"""Case screens that are not tabs of the detail pane's own: opening a case, and the tab for
its jurisdictions, sharing list and TLP."""
