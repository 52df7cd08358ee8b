"""The severity model: CVSS, SSVC, the AI vulnerability taxonomy, the shared model. Imports
nothing of the project and never Qt."""
