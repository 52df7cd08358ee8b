"""Connections of an encrypted workspace when many threads read it over a long session.

SQLAlchemy keeps one SQLite connection per thread, and once more threads than its pool size
have connected it closed an arbitrary one, perhaps one another thread was using. Over a shift
the GUI's worker threads come and go, so a read in flight could lose its connection."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from app.workspaces import lifecycle as ws_mod
from tests.conftest import PASSPHRASE


def test_threads_coming_and_going_never_close_a_connection_in_use(tmp_path: Path) -> None:
    ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    try:
        with ws.engine.connect() as held:  # a long read on this thread, still open
            assert held.execute(text("SELECT count(*) FROM analyst")).scalar_one() == 1
            errors: list[BaseException] = []

            def read() -> None:
                try:
                    with ws.engine.connect() as conn:
                        conn.execute(text("SELECT count(*) FROM analyst")).scalar_one()
                except BaseException as exc:
                    errors.append(exc)

            for _ in range(24):  # worker threads started and ended one after another
                worker = threading.Thread(target=read)
                worker.start()
                worker.join()
            assert errors == []
            assert held.execute(text("SELECT count(*) FROM analyst")).scalar_one() == 1
    finally:
        ws.engine.dispose()
