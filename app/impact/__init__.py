"""Impact estimation from deployment inventories and AI bills of materials."""

from app.advisories.impact_text import latest, summary
from app.impact.estimate import ASSUMPTION_KEYS, compute, estimate
from app.impact.inventory import FIELDS, Inventory, Item, load, parse_mapping
from app.impact.matching import Target

__all__ = [
    "ASSUMPTION_KEYS",
    "FIELDS",
    "Inventory",
    "Item",
    "Target",
    "compute",
    "estimate",
    "latest",
    "load",
    "parse_mapping",
    "summary",
]
