"""A case's parties — vendors, the reporter, partner CERTs, stakeholders — with their status
timelines, contact logs and deadlines (service), and how they travel in bundles (exchange)."""

from app.parties.service import (
    KINDS,
    STATUSES,
    PartyInfo,
    add,
    credits,
    get,
    list_parties,
    log_contact,
    set_status,
    update,
    vendor_statements,
    vendor_statuses,
)

__all__ = [
    "KINDS",
    "STATUSES",
    "PartyInfo",
    "add",
    "credits",
    "get",
    "list_parties",
    "log_contact",
    "set_status",
    "update",
    "vendor_statements",
    "vendor_statuses",
]
