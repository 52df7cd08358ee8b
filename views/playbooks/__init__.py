"""Playbooks: the case tab that runs a playbook's checklist."""
