"""Ed25519 signatures on audit events: who holds which key, and checking one event.

Each analyst's private key lives in their key slot; the public key is in the database
(``analyst_key``) and travels in audit exports. A key signs its owner's events from the event
that registered it (``since_seq``) on; from then, an event by that analyst that no signature
of theirs vouches for is a forgery, as is an event signed by another analyst's key.

A signature is over an event's hash. Since each hash covers the one before it, a signature
vouches for earlier events too: an event whose hashed body names ``signs_from`` vouches for
its analyst's run of events from that one to itself, which carry no signature of their own
(``app.auditing.chain.verify_events`` checks that the run is theirs and unbroken).
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

    def owes(self, event: dict[str, Any]) -> bool:
        """Whether a signature of the event's analyst must vouch for it: theirs or a later one
        of their run's."""
        first = self.first_seq.get(str(event.get("actor")))
        seq = event.get("seq")
        return first is not None and isinstance(seq, int) and seq >= first

    def unsigned(self, event: dict[str, Any]) -> str:
        actor = event.get("actor")
        first = self.first_seq.get(str(actor))
        return f"it is unsigned, but {actor} signs every event from event {first} on"

    def problem(self, event: dict[str, Any]) -> str | None:
        """Why ``event``'s signature is not acceptable, or None when it is (or when it has none:
        whether one vouches for it is the run's question, ``owes``)."""
        seq, actor = event.get("seq"), event.get("actor")
        signature, kid = event.get("signature"), event.get("key_id")
        if not signature:
            return None
        known = self.by_id.get(str(kid))
        if known is None:
            return f"it is signed by an unknown key {kid}"
        if known.analyst != actor:
            return f"it is signed with the key of {known.analyst}, not of {actor}"
        if isinstance(seq, int) and seq < known.since_seq:
            return f"it is signed with a key registered only at event {known.since_seq}"
        if "signs_from" in event:
            first = event["signs_from"]
            if not isinstance(first, int) or isinstance(first, bool) or not isinstance(seq, int):
                return "the run it signs does not name its first event"
            if not known.since_seq <= first < seq:
                return (
                    f"it signs the run from event {first}, outside events "
                    f"{known.since_seq} to {seq - 1} its key may sign"
                )
        try:
            public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(known.public_key))
            public.verify(bytes.fromhex(str(signature)), str(event.get("hash")).encode("ascii"))
        except (InvalidSignature, ValueError):
            return "its signature does not verify (the event was edited or re-signed)"
        return None
