"""Partner exchange: partners and their keys, the export wizard, bundle import."""
