"""Team databases: the analyst is the PostgreSQL login, roles are PostgreSQL roles.

On a team server nobody chooses a name: the acting analyst is the one whose ``db_login`` is
the connection's ``session_user``, and their role is the ``accord_*`` role the login is a
member of (the database owner is a coordinator). The server enforces the same: each role
has only the table privileges it needs, and ``audit_event`` is append-only, its
``db_login`` filled by the server and its ``actor`` checked against the login by a
row-level security policy. Analysts have no Ed25519 key here: the login attributes events.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import AccordError, LockedError, NotFound, PermissionDenied, UsageError
from app.identity import analysts, keyslots
from app.identity.actor import Actor, Permission
from app.workspaces.engines import MIGRATIONS, migrate
from i18n import _
from models import Analyst, AuditEvent, Role

ROLE_NAMES: dict[Role, str] = {
    Role.ANALYST: "accord_analyst",
    Role.SHIFT_LEAD: "accord_shift_lead",
    Role.COORDINATOR: "accord_coordinator",
}
# Highest first: a login in several roles acts with the strongest.
_RANK = (Role.COORDINATOR, Role.SHIFT_LEAD, Role.ANALYST)
# Only coordinators change who works here and with whom (and the settings that say so).
COORDINATOR_TABLES = frozenset(
    {"analyst", "analyst_key", "partner", "partner_key", "org_key", "setting"}
)
# Appended to and read, never changed, by every role; only the owner could.
APPEND_ONLY = frozenset({"audit_event", "audit_checkpoint"})
READ_ONLY = frozenset({"alembic_version"})
# Serialises schema upgrades and grants among the owner's processes.
_PREPARE_LOCK = 7263002
_LOGIN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_team(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# -- schema and grants ------------------------------------------------------------------------
def _head() -> str | None:
    # Alembic is loaded here, not at import: commands on a workspace file never need it.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


# How libpq reports a login the server refused (no SQLSTATE reaches the client then).
_REFUSED = re.compile(
    r"password authentication failed|not permitted to log in|role \S+ does not exist|"
    r"no password supplied|authentication failed|no pg_hba\.conf entry"
)


def _login_refused(exc: OperationalError) -> LockedError | None:
    """A refused login (wrong password, no such login, NOLOGIN) as exit 3; None otherwise
    (the server is down, the database is missing: exit 1). Only the class is told, never
    the server's text."""
    state = getattr(exc.orig, "sqlstate", None) or ""
    pgconn = getattr(exc.orig, "pgconn", None)
    if (
        state.startswith("28")
        or getattr(pgconn, "needs_password", False)
        or _REFUSED.search(str(exc.orig))
    ):
        return LockedError(_("the team database refused this login (wrong password or disabled)"))
    return None


def prepare(engine: Engine, *, new: bool = False) -> None:
    """Bring the schema to the newest revision and (re)apply the grants. Only the owner can;
    anyone else is told the owner must upgrade first. ``new``: a database being created."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == _head() and not new:
        return
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PREPARE_LOCK})
            secure(conn)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42501":  # insufficient_privilege
            raise AccordError(
                _(
                    "the team database's schema is older than this version of Accord: its "
                    "owner must open it once to upgrade it"
                )
            ) from None
        raise


def _ident(conn: Connection, name: str) -> str:
    """A quoted SQL identifier (role, table, column names never come from free text)."""
    from psycopg import sql

    raw: Any = conn.connection.dbapi_connection
    return str(sql.Identifier(name).as_string(raw))


def _ensure_roles(conn: Connection) -> None:
    for role in ROLE_NAMES.values():
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if exists:
            continue
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(f"CREATE ROLE {_ident(conn, role)} NOLOGIN")
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state == "42710":  # duplicate_object: made meanwhile by another process
                continue
            if state == "42501":
                raise AccordError(
                    _(
                        "the roles {roles} do not exist and this login may not create them; "
                        "a database administrator must create them (NOLOGIN)"
                    ).format(roles=", ".join(ROLE_NAMES.values()))
                ) from None
            raise


def secure(conn: Connection) -> None:
    """The roles, their table privileges and the audit log's row-level security (idempotent:
    run by the owner after every upgrade, so new tables get their grants too)."""
    _ensure_roles(conn)
    q = {r: _ident(conn, n) for r, n in ROLE_NAMES.items()}
    everyone = ", ".join(q.values())
    schema = conn.scalar(text("SELECT current_schema()"))
    tables = conn.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).all()
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {_ident(conn, str(schema))} TO {everyone}")
    for table in tables:
        t = _ident(conn, table)
        conn.exec_driver_sql(f"REVOKE ALL ON TABLE {t} FROM {everyone}")
        conn.exec_driver_sql(f"GRANT SELECT ON TABLE {t} TO {everyone}")
        if table in READ_ONLY:
            continue
        if table == "audit_event":
            # Every column but the ones the server fills: db_login says who really wrote it.
            cols = ", ".join(
                _ident(conn, c.name) for c in AuditEvent.__table__.columns
                if c.name not in ("id", "db_login")
            )  # fmt: skip
            conn.exec_driver_sql(f"GRANT INSERT ({cols}) ON TABLE {t} TO {everyone}")
        elif table in APPEND_ONLY:
            conn.exec_driver_sql(f"GRANT INSERT ON TABLE {t} TO {everyone}")
        elif table in COORDINATOR_TABLES:
            conn.exec_driver_sql(
                f"GRANT INSERT, UPDATE, DELETE ON TABLE {t} TO {q[Role.COORDINATOR]}"
            )
        else:
            conn.exec_driver_sql(f"GRANT INSERT, UPDATE, DELETE ON TABLE {t} TO {everyone}")
    conn.exec_driver_sql(
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_ident(conn, str(schema))} TO {everyone}"
    )
    # The owner bypasses these (it could rewrite the table anyway); every role is held to
    # them: events are read by all, appended only under one's own name, never changed.
    conn.exec_driver_sql("ALTER TABLE audit_event ENABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql("DROP POLICY IF EXISTS audit_read ON audit_event")
    conn.exec_driver_sql("CREATE POLICY audit_read ON audit_event FOR SELECT USING (true)")
    conn.exec_driver_sql("DROP POLICY IF EXISTS audit_append ON audit_event")
    conn.exec_driver_sql(
        "CREATE POLICY audit_append ON audit_event FOR INSERT WITH CHECK ("
        "db_login = session_user AND actor = (SELECT a.name FROM analyst a "
        "WHERE a.db_login = session_user AND a.active))"
    )


# -- who is connected -------------------------------------------------------------------------
@dataclass(frozen=True)
class Login:
    """The connection's login and what the server says it may be."""

    name: str
    owner: bool  # superuser, or member of the role owning the schema: a coordinator
    roles: frozenset[Role]

    @property
    def role(self) -> Role | None:
        if self.owner:
            return Role.COORDINATOR
        return next((r for r in _RANK if r in self.roles), None)


def current_login(session: Session) -> Login:
    row = session.execute(
        text(
            "SELECT session_user, r.rolsuper OR pg_has_role(session_user, "
            "(SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'alembic_version'), 'MEMBER') "
            "FROM pg_roles r WHERE r.rolname = session_user"
        )
    ).one()
    # Membership through any chain of roles, but not the superuser's implicit membership of
    # every role (that one is covered by ``owner``).
    names = session.scalars(
        text(
            "WITH RECURSIVE m(id) AS ("
            " SELECT oid FROM pg_roles WHERE rolname = session_user"
            " UNION SELECT am.roleid FROM pg_auth_members am JOIN m ON am.member = m.id)"
            " SELECT r.rolname FROM pg_roles r JOIN m ON r.oid = m.id"
        )
    ).all()
    by_name = {n: r for r, n in ROLE_NAMES.items()}
    return Login(str(row[0]), bool(row[1]), frozenset(by_name[n] for n in names if n in by_name))


def check_login(engine: Engine) -> Login:
    """Log in, and make sure the server gives the login an Accord role (or the ownership)
    before anything else is read: without one, it may read nothing here (exit 3)."""
    try:
        with Session(engine) as s:
            login = current_login(s)
    except OperationalError as exc:
        refused = _login_refused(exc)
        if refused is not None:
            raise refused from None
        raise
    if login.role is None:
        raise LockedError(
            _("the login {login} is in none of the roles {roles}").format(
                login=login.name, roles=", ".join(ROLE_NAMES.values())
            )
        )
    return login


def identify(session: Session, selector: str | None) -> Actor:
    """The analyst this login is, with the role the server grants it. ``selector`` (``--as``)
    may only name that same analyst; a team database from before logins maps its owner to
    the coordinator it names, once."""
    login = current_login(session)
    row = session.scalar(select(Analyst).where(Analyst.db_login == login.name))
    if row is None and login.owner and selector:
        row = _map_legacy_owner(session, login, selector)
    if row is None:
        raise LockedError(
            _("the login {login} is not an analyst of this team database").format(login=login.name)
        )
    if selector and selector not in (row.name, login.name):
        raise LockedError(
            _("connected as {me} (login {login}); {name} must connect with their own login").format(
                me=row.name, login=login.name, name=selector
            )
        )
    if not row.active:
        raise LockedError(_("{name} is deactivated").format(name=row.name))
    role = login.role
    if role is None:
        raise LockedError(
            _("the login {login} is in none of the roles {roles}").format(
                login=login.name, roles=", ".join(ROLE_NAMES.values())
            )
        )
    return Actor(row.id, row.name, role)


def _map_legacy_owner(session: Session, login: Login, selector: str) -> Analyst | None:
    row = session.scalar(
        select(Analyst).where(
            Analyst.name == selector,
            Analyst.active,
            Analyst.role == Role.COORDINATOR,
            Analyst.db_login.is_(None),
        )
    )
    if row is None:
        return None
    row.db_login = login.name
    session.flush()
    actor = Actor(row.id, row.name, Role.COORDINATOR)
    audit.record(session, actor, "analyst.login", "analyst", row.id, details={"login": login.name})
    return row


# -- managing logins --------------------------------------------------------------------------
def login_for(name: str) -> str:
    """A login name made from an analyst's name ("Mara Lindqvist" -> "mara_lindqvist")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:63]
    if not slug or not _LOGIN.match(slug):
        raise UsageError(_("choose a login for {name} with --login").format(name=name))
    return slug


def _check_login(name: str) -> None:
    if name in ROLE_NAMES.values() or name.startswith("pg_") or not 0 < len(name) <= 63:
        raise UsageError(_("{login} cannot be an analyst's login").format(login=name))


def _scram(conn: Connection, login: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier, made by libpq: the password itself never reaches the
    server (nor its statement log)."""
    raw: Any = conn.connection.dbapi_connection
    verifier: bytes = raw.pgconn.encrypt_password(
        password.encode("utf-8"), login.encode("utf-8"), b"scram-sha-256"
    )
    return verifier.decode("ascii")


def _literal(conn: Connection, value: str) -> str:
    from psycopg import sql

    raw: Any = conn.connection.dbapi_connection
    return str(sql.Literal(value).as_string(raw))


def _role_exists(conn: Connection, login: str) -> bool:
    return bool(conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}))


def _grant_only(conn: Connection, login: str, role: Role) -> None:
    who = _ident(conn, login)
    others = [ROLE_NAMES[r] for r in ROLE_NAMES if r != role]
    conn.exec_driver_sql(f"REVOKE {', '.join(_ident(conn, o) for o in others)} FROM {who}")
    conn.exec_driver_sql(f"GRANT {_ident(conn, ROLE_NAMES[role])} TO {who}")


def _denied(exc: DBAPIError, action: str) -> BaseException:
    """The server's refusal to manage roles as the app's PermissionDenied; others unchanged."""
    if getattr(exc.orig, "sqlstate", None) == "42501":
        return PermissionDenied(
            _("this login may not {action} (it needs CREATEROLE)").format(action=action)
        )
    return exc


@dataclass(frozen=True)
class Added:
    info: analysts.AnalystInfo
    login: str
    one_time_passphrase: str | None  # None when an existing login was mapped


def add_analyst(
    session: Session,
    actor: Actor,
    name: str,
    role: str,
    timezone: str = "UTC",
    *,
    login: str | None = None,
) -> Added:
    """A coordinator adds an analyst as a login: a new one with a one-time password (shown
    once), or an existing one (``login``); it is granted the role. An analyst of a team
    database from before logins gets its login the same way."""
    actor.require(Permission.MANAGE_ANALYSTS)
    wanted = analysts.parse_role(role)
    chosen = login or login_for(name)
    _check_login(chosen)
    conn = session.connection()
    taken = session.scalar(select(Analyst.name).where(Analyst.db_login == chosen))
    if taken is not None:
        raise AccordError(_("the login {login} is already {name}").format(login=chosen, name=taken))
    legacy = session.scalar(
        select(Analyst).where(Analyst.name == name.strip(), Analyst.db_login.is_(None))
    )
    if legacy is not None:
        legacy.role = wanted
        row = legacy
        info = analysts.AnalystInfo(row.id, row.name, wanted.value, row.timezone, row.active)
    else:
        info = analysts.add(session, actor, name, role, timezone)
        found = session.get(Analyst, info.id)
        assert found is not None
        row = found
    phrase = None
    try:
        if login is None:
            if _role_exists(conn, chosen):
                raise AccordError(
                    _("a login named {login} exists already; map it with --login").format(
                        login=chosen
                    )
                )
            phrase = keyslots.one_time_passphrase()
            extra = " CREATEROLE" if wanted is Role.COORDINATOR else ""
            conn.exec_driver_sql(
                f"CREATE ROLE {_ident(conn, chosen)} LOGIN{extra} PASSWORD "
                + _literal(conn, _scram(conn, chosen, phrase))
            )
        elif not _role_exists(conn, chosen):
            raise NotFound(_("no database login named {login}").format(login=chosen))
        _grant_only(conn, chosen, wanted)
    except DBAPIError as exc:
        raise _denied(exc, _("create logins or grant roles")) from None
    row.db_login = chosen
    session.flush()
    audit.record(
        session, actor, "analyst.login", "analyst", row.id,
        details={"login": chosen, "role": wanted.value, "created": phrase is not None},
    )  # fmt: skip
    return Added(info, chosen, phrase)


def reset_password(session: Session, actor: Actor, name: str) -> str:
    """A coordinator gives an analyst's login a new one-time password (shown once)."""
    actor.require(Permission.MANAGE_ANALYSTS)
    row = session.scalar(select(Analyst).where(Analyst.name == name, Analyst.active))
    if row is None or row.db_login is None:
        raise NotFound(_("no active analyst named {name}").format(name=name))
    if row.id == actor.id:
        raise UsageError(_("change your own passphrase with 'accord analyst passphrase'"))
    conn = session.connection()
    phrase = keyslots.one_time_passphrase()
    try:
        conn.exec_driver_sql(
            f"ALTER ROLE {_ident(conn, row.db_login)} PASSWORD "
            + _literal(conn, _scram(conn, row.db_login, phrase))
        )
    except DBAPIError as exc:
        raise _denied(exc, _("change another login's password")) from None
    audit.record(session, actor, "analyst.slot", "analyst", row.id, details={"login": row.db_login})
    return phrase


def change_own_password(session: Session, actor: Actor, new: str) -> None:
    """The acting analyst's own login password (PostgreSQL lets every login change its own)."""
    from app.workspaces.lifecycle import check_passphrase_strength

    check_passphrase_strength(new)
    conn = session.connection()
    login = str(conn.scalar(text("SELECT session_user")))
    conn.exec_driver_sql(
        "ALTER ROLE CURRENT_USER PASSWORD " + _literal(conn, _scram(conn, login, new))
    )
    audit.record(session, actor, "analyst.passphrase", "analyst", actor.id)


def deactivate(session: Session, actor: Actor, name: str) -> str | None:
    """A coordinator removes an analyst: the login loses its role and may no longer log in,
    its open sessions are ended where this login may, and the row is marked inactive.
    Returns the login."""
    actor.require(Permission.MANAGE_ANALYSTS)
    row = session.scalar(select(Analyst).where(Analyst.name == name, Analyst.active))
    if row is None:
        raise NotFound(_("no active analyst named {name}").format(name=name))
    if row.id == actor.id:
        raise UsageError(_("a coordinator cannot deactivate themselves"))
    conn = session.connection()
    login = row.db_login
    if login is not None and _role_exists(conn, login):
        who = _ident(conn, login)
        try:
            conn.exec_driver_sql(f"ALTER ROLE {who} NOLOGIN")
            roles = ", ".join(_ident(conn, n) for n in ROLE_NAMES.values())
            conn.exec_driver_sql(f"REVOKE {roles} FROM {who}")
        except DBAPIError as exc:
            raise _denied(exc, _("disable logins")) from None
        try:
            with session.begin_nested():
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE usename = :login"
                    ),
                    {"login": login},
                )
        except DBAPIError:
            pass  # without pg_signal_backend: their open sessions lost every privilege anyway
    row.active = False
    audit.record(session, actor, "analyst.deactivate", "analyst", row.id, details={"login": login})
    return login
