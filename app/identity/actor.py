"""Who is acting, and what each role may do. Enforced here, in the core, not in the views."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import PermissionDenied
from i18n import _
from models import Role


class Permission(enum.Enum):
    ASSIGN_OTHERS = "assign cases to other analysts"
    MANAGE_ANALYSTS = "manage analysts"
    MANAGE_PARTNERS = "manage partners"
    EXPORT = "export bundles"
    SEE_REPORTER_IDENTITY = "see reporters' real identities"
    APPROVE_ADVISORY = "approve advisories"
    OVERRIDE_TRUST = "override TLP and embargo rules"
    REKEY_WORKSPACE = "change the workspace passphrase"
    RESTORE_WORKSPACE = "restore a workspace from a backup"
    DISCARD_QUARANTINE = "discard quarantined documents"
    BACKUP_WORKSPACE = "back up the workspace"
    EXPORT_AUDIT = "export the audit log"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ANALYST: frozenset(),
    Role.SHIFT_LEAD: frozenset(
        {
            Permission.ASSIGN_OTHERS,
            Permission.APPROVE_ADVISORY,
            Permission.BACKUP_WORKSPACE,
            Permission.EXPORT_AUDIT,
        }
    ),
    Role.COORDINATOR: frozenset(Permission),
}


@dataclass(frozen=True)
class Actor:
    """The analyst on whose behalf a use case runs (identified at unlock by their key slot).

    ``signing_key`` (from the slot) signs the analyst's audit events; None for the system and
    for workspaces without key slots (in-memory tests)."""

    id: int
    name: str
    role: Role
    signing_key: Ed25519PrivateKey | None = field(default=None, compare=False, repr=False)

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                _("{analyst} ({role}) may not {action}").format(
                    analyst=self.name, role=self.role.value, action=_(permission.value)
                )
            )


SYSTEM = Actor(id=0, name="system", role=Role.COORDINATOR)
