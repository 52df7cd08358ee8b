"""Ed25519 signatures on audit events: who holds which key, and checking one event.

Each analyst's private key lives in their key slot; the public key is in the database
(``analyst_key``) and travels in audit exports. A key signs its owner's events from the event
that registered it (``since_seq``) on; from then, an unsigned event by that analyst is a
forgery, as is an event signed by another analyst's key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.identity.keyslots import signing_key_id


def public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey) -> str:
    return signing_key_id(public_raw(key))


@dataclass(frozen=True)
class KnownKey:
    """A registered public key: whose it is and from which event on it signs."""

    key_id: str
    analyst: str
    public_key: str  # hex of the raw 32 bytes
    since_seq: int

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "key",
            "key_id": self.key_id,
            "analyst": self.analyst,
            "public_key": self.public_key,
            "since_seq": self.since_seq,
        }


class Keyring:
    """The public keys a verifier knows, by id and by analyst."""

    def __init__(self, keys: Iterable[KnownKey]) -> None:
        self.by_id = {k.key_id: k for k in keys}
        self.first_seq: dict[str, int] = {}
        for k in self.by_id.values():
            self.first_seq[k.analyst] = min(k.since_seq, self.first_seq.get(k.analyst, k.since_seq))

    def problem(self, event: dict[str, Any]) -> str | None:
        """Why ``event``'s signature is not acceptable, or None when it is."""
        seq, actor = event.get("seq"), event.get("actor")
        signature, kid = event.get("signature"), event.get("key_id")
        if not signature:
            first = self.first_seq.get(str(actor))
            if first is not None and isinstance(seq, int) and seq >= first:
                return f"it is unsigned, but {actor} signs every event from event {first} on"
            return None
        known = self.by_id.get(str(kid))
        if known is None:
            return f"it is signed by an unknown key {kid}"
        if known.analyst != actor:
            return f"it is signed with the key of {known.analyst}, not of {actor}"
        if isinstance(seq, int) and seq < known.since_seq:
            return f"it is signed with a key registered only at event {known.since_seq}"
        try:
            public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(known.public_key))
            public.verify(bytes.fromhex(str(signature)), str(event.get("hash")).encode("ascii"))
        except (InvalidSignature, ValueError):
            return "its signature does not verify (the event was edited or re-signed)"
        return None
