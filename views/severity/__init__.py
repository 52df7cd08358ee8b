"""Severity assessment: CVSS calculator, SSVC walk-through, AI factors and their history."""
