"""Team databases: the analyst is the PostgreSQL login, never a claim (issue 13, item 3).

Against the real test server, which asks every login but the superuser for its password.
Logins are cluster-wide, so each test names its own with a random suffix and drops them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.auditing import chain as audit
from app.errors import LockedError
from app.workspaces import lifecycle as ws_mod
from models import AuditEvent

pytestmark = pytest.mark.postgres


@pytest.fixture
def team(pg_url: str, cli) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """A team database created by the superuser (alice, coordinator), with bob (analyst) and
    carol (coordinator) added as new logins through ``accord analyst add``."""
    tag = uuid.uuid4().hex[:8]
    names = {"alice": "alice", "bob": f"bob_{tag}", "carol": f"carol_{tag}"}
    assert cli("--db", pg_url, "init", "--org", "Team", "--analyst", "alice").code == 0
    logins: dict[str, str] = {}
    for who, role in (("bob", "analyst"), ("carol", "coordinator")):
        added = cli("--db", pg_url, "analyst", "add", names[who], "--role", role, "--json")
        assert added.code == 0, added.err
        data = added.json()
        assert isinstance(data, dict)
        logins[who] = data["db_login"]
        names[who + "_password"] = data["one_time_passphrase"]
    names.update({f"{k}_login": v for k, v in logins.items()})
    names["url"] = pg_url
    yield names
    _drop_logins(pg_url, [*logins.values(), f"dave_{tag}"])


def _drop_logins(pg_url: str, logins: list[str]) -> None:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        # Their sessions first: a role with a session cannot be dropped.
        c.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY(:l)"),
            {"l": logins},
        )
    admin.dispose()
    admin = create_engine(pg_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for login in logins:
            with contextlib.suppress(DBAPIError):
                c.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
    admin.dispose()


def _as(team: dict[str, str], who: str) -> tuple[str, dict[str, str]]:
    """The URL for ``who``'s own login, and the env giving its password (never in argv)."""
    url = make_url(team["url"]).set(username=team[f"{who}_login"])
    return url.render_as_string(hide_password=False), {"ACCORD_PASSPHRASE": team[f"{who}_password"]}


def _engine_as(team: dict[str, str], who: str):  # type: ignore[no-untyped-def]
    url = make_url(team["url"]).set(username=team[f"{who}_login"], password=team[f"{who}_password"])
    return create_engine(url)


def _events(pg_url: str) -> list[AuditEvent]:
    engine = create_engine(pg_url)
    with ws_mod.Workspace(engine, "t").session() as s:
        rows = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    engine.dispose()
    return rows


def test_each_login_acts_only_as_itself(team, cli) -> None:  # type: ignore[no-untyped-def]
    bob_url, bob_env = _as(team, "bob")
    made = cli(
        "--db", bob_url, "case", "new", "--title", "Tool exfiltration", "--json", env=bob_env
    )
    assert made.code == 0, made.err
    carol_url, carol_env = _as(team, "carol")
    assert cli("--db", carol_url, "cases", "list", env=carol_env).code == 0
    last = _events(team["url"])[-1]
    assert last.action == "case.create"
    # The actor is the login: the name mapped to session_user, and the server's own record.
    assert (last.actor, last.db_login) == (team["bob"], team["bob_login"])
    # Naming someone else is refused (exit 3), by --as and by ACCORD_ANALYST alike.
    for argv, env in (
        (["--as", "alice"], bob_env),
        (["--as", team["carol"]], bob_env),
        ([], {**bob_env, "ACCORD_ANALYST": team["carol"]}),
    ):
        refused = cli("--db", bob_url, *argv, "case", "new", "--title", "forged", env=env)
        assert refused.code == 3, refused.err
        assert "own login" in refused.err
    # Naming oneself (by name or login) is fine.
    assert cli("--db", bob_url, "--as", team["bob"], "cases", "list", env=bob_env).code == 0
    assert cli("--db", bob_url, "--as", team["bob_login"], "cases", "list", env=bob_env).code == 0
    # The log shows who wrote each event as the server saw it.
    log = cli("--db", carol_url, "audit", "log", "--json", env=carol_env).json()
    assert isinstance(log, list)
    assert [e["db_login"] for e in log if e["action"] == "case.create"] == [team["bob_login"]]
    assert cli("--db", carol_url, "audit", "verify", env=carol_env).code == 0
    # The chain verifies: team events are unsigned, attributed by the login instead.
    engine = create_engine(team["url"])
    with ws_mod.Workspace(engine, "t").session() as s:
        assert audit.verify_session(s).events == len(_events(team["url"]))
    engine.dispose()


def test_wrong_password_and_unknown_login_are_refused(team, cli, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    bob_url, _env = _as(team, "bob")
    wrong = cli("--db", bob_url, "cases", "list", env={"ACCORD_PASSPHRASE": "not bob's password"})
    assert wrong.code == 3, wrong.err
    # A login of the server that is no analyst here is refused too.
    dave = team["bob_login"].replace("bob_", "dave_")
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(
            text(f"CREATE ROLE \"{dave}\" LOGIN PASSWORD 'dave-password' IN ROLE accord_analyst")
        )
    admin.dispose()
    url = make_url(pg_url).set(username=dave).render_as_string(hide_password=False)
    stranger = cli("--db", url, "cases", "list", env={"ACCORD_PASSPHRASE": "dave-password"})
    assert stranger.code == 3 and "not an analyst" in stranger.err


def test_an_analyst_login_cannot_do_coordinator_actions(team, cli) -> None:  # type: ignore[no-untyped-def]
    bob_url, bob_env = _as(team, "bob")
    # App level: refused with the role the server grants.
    made = cli("--db", bob_url, "analyst", "add", "mallory", "--role", "coordinator", env=bob_env)
    assert made.code == 1 and "may not" in made.err
    # Database level: the same login, straight to the server.
    engine = _engine_as(team, "bob")
    forbidden = [
        "UPDATE audit_event SET actor = 'alice' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
        "UPDATE analyst SET role = 'coordinator' WHERE db_login = session_user",
        "INSERT INTO analyst (name, role, timezone, language, active, created_at) "
        "VALUES ('mallory', 'coordinator', 'UTC', 'en', true, now())",
        "UPDATE setting SET value = '\"x\"' WHERE key = 'org.name'",
        "CREATE ROLE mallory LOGIN",
        # An event under someone else's name, or claiming another login, is refused.
        "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, details, "
        "prev_hash, hash) VALUES (9999, now(), 'alice', 'x', 'x', 'x', '{}', 'p', 'h')",
        "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id, details, "
        "prev_hash, hash, db_login) VALUES (9999, now(), 'x', 'x', 'x', 'x', '{}', 'p', 'h', "
        "'postgres')",
    ]
    for statement in forbidden:
        with engine.connect() as c, pytest.raises(DBAPIError) as err:
            c.execute(text(statement))
        assert getattr(err.value.orig, "sqlstate", None) == "42501", statement
    engine.dispose()
    assert all(e.actor != "mallory" for e in _events(team["url"]))


def test_the_role_comes_from_the_server(team, cli, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    carol_url, carol_env = _as(team, "carol")
    # carol (a coordinator login made by Accord) manages analysts herself.
    tag = team["bob_login"].split("_", 1)[1]
    dave = f"dave_{tag}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE ROLE \"{dave}\" LOGIN PASSWORD 'dave-password'"))
    admin.dispose()
    mapped = cli(
        "--db", carol_url, "analyst", "add", "Dave Ng", "--role", "shift-lead", "--login", dave,
        "--json", env=carol_env,
    )  # fmt: skip
    assert mapped.code == 0, mapped.err
    assert mapped.json()["db_login"] == dave and "one_time_passphrase" not in mapped.json()
    # Revoking the membership outside Accord makes bob no analyst at all: the server decides.
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'REVOKE accord_analyst FROM "{team["bob_login"]}"'))
    admin.dispose()
    bob_url, bob_env = _as(team, "bob")
    refused = cli("--db", bob_url, "cases", "list", env=bob_env)
    assert refused.code == 3 and "none of the roles" in refused.err


def test_deactivated_login_is_locked_out(team, cli) -> None:  # type: ignore[no-untyped-def]
    bob_url, bob_env = _as(team, "bob")
    assert cli("--db", bob_url, "cases", "list", env=bob_env).code == 0
    carol_url, carol_env = _as(team, "carol")
    gone = cli("--db", carol_url, "analyst", "deactivate", team["bob"], "--json", env=carol_env)
    assert gone.code == 0, gone.err
    assert gone.json()["db_login"] == team["bob_login"]
    refused = cli("--db", bob_url, "cases", "list", env=bob_env)
    assert refused.code == 3, refused.err
    last = _events(team["url"])[-1]
    assert (last.action, last.actor, last.db_login) == (
        "analyst.deactivate",
        team["carol"],
        team["carol_login"],
    )


def test_one_time_password_is_changed_by_its_owner(team, cli) -> None:  # type: ignore[no-untyped-def]
    bob_url, bob_env = _as(team, "bob")
    changed = cli(
        "--db", bob_url, "analyst", "passphrase",
        env={**bob_env, "ACCORD_NEW_PASSPHRASE": "bob's very own password"},
    )  # fmt: skip
    assert changed.code == 0, changed.err
    assert cli("--db", bob_url, "cases", "list", env=bob_env).code == 3
    own = {"ACCORD_PASSPHRASE": "bob's very own password"}
    assert cli("--db", bob_url, "cases", "list", env=own).code == 0


def test_a_team_database_from_before_logins_maps_its_owner_once(pg_url: str) -> None:
    ws = ws_mod.create(None, None, "CERT-Test", "alice", db_url=pg_url)
    with ws.session() as s:  # as written before migration 0018: no analyst has a login
        s.execute(text("UPDATE analyst SET db_login = NULL"))
    ws.lock()
    with pytest.raises(LockedError):
        ws_mod.open_workspace(None, None, db_url=pg_url)
    # The owner names the coordinator it is, once; from then on the login alone says so.
    ws = ws_mod.open_workspace(None, None, db_url=pg_url, analyst="alice")
    assert ws.require_actor().name == "alice" and ws.login == "postgres"
    ws.lock()
    ws = ws_mod.open_workspace(None, None, db_url=pg_url)
    assert ws.require_actor().name == "alice"
    with ws.session() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(2)).all()
        assert last[0].action == "analyst.login" and last[0].details == {"login": "postgres"}
    ws.lock()
