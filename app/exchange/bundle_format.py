"""The bundle's shape, shared by export and import: names, TLP levels, limits, the policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import UsageError
from app.identity.actor import Actor, Permission
from i18n import _
from models import Setting

FORMAT = "accord-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.asc"
# The sender's audit checkpoint (app/identity/checkpoints.py): its statement and the
# organisation key's detached signature, listed in the manifest like any other file.
CHECKPOINT = "audit-checkpoint.json"

# FIRST Traffic Light Protocol 2.0 (https://www.first.org/tlp/): the five labels.
TLP_LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
ENCRYPTED_TLP = frozenset({"AMBER", "AMBER+STRICT", "RED"})
POLICY_KEY = "exchange.accept_tlp"

DEFAULT_SEVERITY_MODEL = ("accord-severity", "1.0")


@dataclass(frozen=True)
class Limits:
    """Bounds that stop oversize bundles and zip bombs before anything is unpacked."""

    max_bundle_bytes: int = 256 * 1024 * 1024
    max_entries: int = 5000
    max_file_bytes: int = 128 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024
    max_ratio: int = 100  # uncompressed / compressed, for members over ratio_floor bytes
    ratio_floor: int = 1024 * 1024
    max_manifest_bytes: int = 4 * 1024 * 1024

    def plaintext_cap(self, ciphertext_bytes: int) -> int:
        """The most plaintext an encrypted bundle may decrypt to: the bundle size limit, and
        the zip members' expansion ratio applied to OpenPGP compression as well (a bundle is
        a zip, already compressed, so a genuine one barely expands)."""
        by_ratio = max(self.ratio_floor, self.max_ratio * ciphertext_bytes)
        return min(self.max_bundle_bytes, by_ratio)


def parse_tlp(value: str) -> str:
    tlp = value.strip().upper().removeprefix("TLP:")
    if tlp == "WHITE":  # TLP 1.0's name for CLEAR
        tlp = "CLEAR"
    if tlp not in TLP_LEVELS:
        raise UsageError(
            _("unknown TLP {tlp}; use one of {levels}").format(
                tlp=value, levels=", ".join(TLP_LEVELS)
            )
        )
    return tlp


def severity_model_ref() -> dict[str, str]:
    """The shared severity model's id and version, as every assessment in a bundle uses it."""
    try:
        from taxonomy.model import default_model

        model = default_model()
        ident, version = model.id, str(model.version)
    except Exception:
        ident, version = DEFAULT_SEVERITY_MODEL
    return {"id": ident, "version": version, "ref": f"{ident}/{version}"}


def accepted_tlp(session: Session) -> tuple[str, ...]:
    """The TLP labels this workspace accepts in incoming bundles (default: all)."""
    row = session.get(Setting, POLICY_KEY)
    value: Any = row.value if row else None
    if not isinstance(value, list) or not value:
        return TLP_LEVELS
    return tuple(t for t in TLP_LEVELS if t in value)


def set_accepted_tlp(session: Session, actor: Actor, levels: list[str]) -> tuple[str, ...]:
    actor.require(Permission.MANAGE_PARTNERS)
    parsed = sorted({parse_tlp(x) for x in levels}, key=TLP_LEVELS.index)
    if not parsed:
        raise UsageError(_("accept at least one TLP label"))
    row = session.get(Setting, POLICY_KEY)
    if row is None:
        session.add(Setting(key=POLICY_KEY, value=parsed))
    else:
        row.value = parsed
    audit.record(
        session, actor, "exchange.policy", "setting", POLICY_KEY, details={"accept_tlp": parsed}
    )
    return tuple(parsed)
