"""TLP 2.0 labels and their order. Apart from the trust rules (app.trust), which bring the
audit chain and its models: the queue shows every row's label, and `accord cases list`
should load no more than that for it."""

from __future__ import annotations

# FIRST TLP 2.0, least to most restrictive.
TLP_ORDER = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


def rank(tlp: str) -> int:
    """The TLP label's place in ``TLP_ORDER`` (unknown labels count as the most restrictive)."""
    label = tlp.strip().upper().removeprefix("TLP:")
    label = "CLEAR" if label == "WHITE" else label
    return TLP_ORDER.index(label) if label in TLP_ORDER else len(TLP_ORDER) - 1


def highest(*labels: str | None) -> str:
    """The most restrictive of ``labels`` as a TLP 2.0 label (an unknown one counts as RED)."""
    return TLP_ORDER[max((rank(x) for x in labels if x), default=0)]
