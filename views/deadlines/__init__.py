"""Deadlines: the case tab, the queue's countdown column, and how they attach."""
