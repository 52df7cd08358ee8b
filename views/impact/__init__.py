"""The Impact case tab: inventories, AI-BOMs and who is affected."""
