"""Rate limits: Flask-Limiter as the services set it up (one storage URL for all, and an
in-memory storage that stays cheap when it holds many counters), and counters in a service's
own database for limits that must hold across every worker and machine (`DatabaseRateLimit`)."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

from flask import Flask
from flask_limiter import Limiter
from limits.storage import MemoryStorage
from sqlalchemy import Integer, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from shared.config import Config
from shared.db import Database

EXPIRY_SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    """limits' in-memory storage, sweeping expired counters once a second instead of 100 times.

    The original starts a new timer thread 10 ms after each hit and walks every counter: in a
    rush, with a counter per email address, that is thousands of keys a hundred times a second
    in every web process. A counter past its expiry is ignored on read anyway, so a slower
    sweep only keeps dead counters in memory a little longer. Registered for `memory://`.
    """

    STORAGE_SCHEME = ["memory"]

    # limits calls its private `__schedule_expiry` after every hit; this replaces it.
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(EXPIRY_SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


def init_limiter(app: Flask, limiter: Limiter, config: Config) -> None:
    """Counters live in memory per process unless RATE_LIMIT_STORAGE_URL points at Redis."""
    app.config["RATELIMIT_STORAGE_URI"] = config.rate_limit_storage_url
    # A failing limit store (Redis gone) must not turn a request into a 500: the request goes
    # through, logged.
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    limiter.init_app(app)


class RateCounterMixin:
    """Hits of one key in one fixed window (`window` = seconds since the epoch // period).
    Keys are hashes: the table holds no addresses or names, only for two windows."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class DatabaseRateLimit:
    """At most `limit` hits per key in any `period` seconds, counted in the database, so every
    worker and process sharing it shares the count.

    A sliding window estimated from two fixed ones: the previous window's hits weighted by how
    much of it still lies within the last period, plus this window's. Every hit is counted,
    refused ones included, so a guesser who keeps going stays refused.
    """

    name: str
    limit: int
    period: int = 60

    def hit(self, db: Database, model: type[RateCounterMixin], value: str) -> int | None:
        """Count a hit for `value`; None if allowed, else the seconds to wait."""
        now = time.time()
        window = int(now // self.period)
        key = hashlib.sha256(f"{self.name}:{value}".encode()).hexdigest()
        table = model.__table__
        module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        upsert = (
            module.insert(table)
            .values(key=key, window=window, hits=1)
            .on_conflict_do_update(
                index_elements=[table.c.key, table.c.window], set_={"hits": table.c.hits + 1}
            )
            .returning(table.c.hits)
        )
        # A transaction of its own: the count stays when the request's work is rolled back.
        with db.engine.begin() as connection:
            current = connection.execute(upsert).scalar_one()
            previous = connection.execute(
                select(table.c.hits).where(table.c.key == key, table.c.window == window - 1)
            ).scalar_one_or_none()
        if current == 1:
            with db.engine.begin() as connection:
                connection.execute(delete(table).where(table.c.window < window - 1))
        elapsed = now / self.period - window
        if (previous or 0) * (1 - elapsed) + current <= self.limit:
            return None
        return max(1, math.ceil(self.period * (1 - elapsed)))
