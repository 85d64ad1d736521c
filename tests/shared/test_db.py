"""The first requests of a fresh gunicorn worker arrive on several threads at once: each must get
a database session (a race here answered 500 at the start of the registration benchmark)."""

from __future__ import annotations

import threading
import time

import shared.db
from shared.db import Database


def test_concurrent_first_sessions_all_succeed(tmp_path, monkeypatch):
    real_sessionmaker = shared.db.sessionmaker

    def slow_sessionmaker(*args, **kwargs):
        time.sleep(0.2)  # widen the window between creating the engine and its session factory
        return real_sessionmaker(*args, **kwargs)

    monkeypatch.setattr(shared.db, "sessionmaker", slow_sessionmaker)
    db = Database(f"sqlite:///{tmp_path / 'race.db'}")
    errors: list[BaseException] = []

    def first_request():
        try:
            db.session().close()
        except BaseException as exc:  # the race raised AssertionError
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    threads[0].start()
    # The others arrive while the first is still setting up the engine.
    while db._engine is None and threads[0].is_alive():
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose()
    assert errors == []
