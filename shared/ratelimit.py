"""Rate limits, counted where every worker, process and machine of a service shares the count
(a limit counted per process lets a client through once per process): in Redis when
RATE_LIMIT_REDIS_URL is set, else in the service's own database. One idiom for every limit:
declare `RateLimit`s, call `enforce` with the app's counters in the view; a refusal is a 429
with `Retry-After` that the app's error handlers render as JSON or page.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import Protocol

import redis
from flask import Flask
from sqlalchemy import BigInteger, Integer, String, TextClause, delete, text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import TooManyRequests

from shared.db import Database

log = logging.getLogger(__name__)

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"\s*(\d{1,9})\s*(?:/|per)\s*(\d{0,6})\s*(second|minute|hour|day)s?\s*", re.I)


class RateCounterMixin:
    """One row per key: the hits in its current fixed window (`window` = seconds since the
    epoch // period) and in the window before. Keys are hashes of limit, period and value: the
    table holds no addresses or names, and a row is deleted two periods after its window
    (`expires_at`, seconds since the epoch)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer)
    previous_hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits per key in any `period` seconds.

    A sliding window estimated from two fixed ones: the previous window's hits weighted by how
    much of it still lies within the last period, plus this window's. Every hit is counted,
    refused ones included, so a guesser who keeps going stays refused.
    """

    name: str
    limit: int
    period: int = 60

    def wait(self, now: float, current: int, previous: int) -> int | None:
        """None if `current` hits in this window are allowed, else the seconds to wait."""
        remaining = self.period - now % self.period
        if previous * remaining / self.period + current <= self.limit:
            return None
        return max(1, math.ceil(remaining))

    def hit(self, counters: RateCounters, value: str) -> int | None:
        """Count one hit for `value`; None if allowed, else the seconds to wait."""
        return count_hits(counters, [(self, value)])


def parse_rate_limits(name: str, text: str) -> tuple[RateLimit, ...]:
    """`"10/minute"`, `"100 per 2 hours;1000/day"` (Flask-Limiter's notation) as limits."""
    limits = []
    for part in filter(str.strip, text.split(";")):
        match = _RATE.fullmatch(part)
        if match is None:
            raise ValueError(f"not a rate limit like '10/minute': {part.strip()!r}")
        count, multiple, unit = match.groups()
        period = int(multiple or 1) * PERIODS[unit.lower()]
        limits.append(RateLimit(name, limit=int(count), period=period))
    return tuple(limits)


@dataclass
class _Sweeper:
    """Deletes expired counters at most once a minute per process, not on every hit."""

    interval: float = 60.0
    last: dict[str, float] = field(default_factory=dict)

    def due(self, table: str, now: float) -> bool:
        if now - self.last.get(table, 0.0) < self.interval:
            return False
        self.last[table] = now
        return True


_sweeper = _Sweeper()


@functools.cache
def _upsert(table: str, rows: int) -> TextClause:
    """Count one hit of each of `rows` keys in one statement, moving a key's window forward when
    a new one has begun (SET sees the row as it was). Written out once per table and number of
    rows: SQLAlchemy compiles a multi-row INSERT construct again on every execution (about a
    millisecond of CPU), a text statement once. Valid on PostgreSQL and SQLite alike."""
    values = ", ".join(f"(:key{n}, :window{n}, 1, 0, :expires_at{n})" for n in range(rows))
    return text(
        f'INSERT INTO {table} ("key", "window", hits, previous_hits, expires_at) '
        f"VALUES {values} "
        'ON CONFLICT ("key") DO UPDATE SET '
        f'previous_hits = CASE WHEN {table}."window" = excluded."window" '
        f"THEN {table}.previous_hits "
        f'WHEN {table}."window" = excluded."window" - 1 THEN {table}.hits ELSE 0 END, '
        f'hits = CASE WHEN {table}."window" = excluded."window" THEN {table}.hits + 1 ELSE 1 END, '
        '"window" = excluded."window", expires_at = excluded.expires_at '
        'RETURNING "key", hits, previous_hits'
    )


# key -> (window, period); what a store answers: (key, hits in the window, hits in the one before)
Windows = dict[str, tuple[int, int]]
Counted = list[tuple[str, int, int]]


class RateCounters(Protocol):
    def count(self, windows: Windows, now: float) -> Counted:
        """Count one hit of each key in its window; every key's hits in it and the one before."""


@dataclass
class DatabaseCounters:
    """In the service's database (`model`'s table): one statement per request."""

    db: Database
    model: type[RateCounterMixin]

    def count(self, windows: Windows, now: float) -> Counted:
        table = self.model.__table__
        parameters = {}
        for row, (key, (window, period)) in enumerate(windows.items()):
            parameters |= {
                f"key{row}": key,
                f"window{row}": window,
                f"expires_at{row}": (window + 2) * period,
            }
        with self._autocommit() as connection:
            counted = connection.execute(_upsert(table.name, len(windows)), parameters).all()
            if _sweeper.due(f"{self.db.url}/{table.name}", now):
                connection.execute(delete(table).where(table.c.expires_at < int(now)))
        return [tuple(row) for row in counted]

    def _autocommit(self):
        """A connection whose statements commit on their own: each statement here is atomic by
        itself, and PostgreSQL is spared the BEGIN and COMMIT round trips. SQLite's engine
        begins its own transactions (BEGIN IMMEDIATE), so there it is one short transaction."""
        if self.db.engine.dialect.name == "postgresql":
            return self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.db.engine.begin()


@dataclass
class RedisCounters:
    """In Redis: a counter per key and window, kept two periods, all in one round trip; takes
    a write per registration off the database. When Redis cannot be reached, requests are let
    through (and that is logged): a limit is a defence against abuse, not a reason to refuse
    everyone."""

    client: redis.Redis
    prefix: str

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisCounters:
        return cls(
            redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5), prefix
        )

    def count(self, windows: Windows, now: float) -> Counted:
        pipeline = self.client.pipeline(transaction=False)
        for key, (window, period) in windows.items():
            current = f"{self.prefix}{key}:{window}"
            pipeline.incr(current)
            pipeline.expire(current, 2 * period)
            pipeline.get(f"{self.prefix}{key}:{window - 1}")
        try:
            answers = pipeline.execute()
        except redis.RedisError as exc:
            log.warning("rate limits not counted, Redis unavailable: %s", exc)
            return []
        return [
            (key, answers[3 * n], int(answers[3 * n + 2] or 0)) for n, key in enumerate(windows)
        ]


def app_counters(app: Flask, model: type[RateCounterMixin]) -> RateCounters:
    """The app's counters, made on first use: Redis when RATE_LIMIT_REDIS_URL is set, else the
    service's database (`model`'s table)."""
    counters = app.extensions.get("todo_rate_counters")
    if counters is None:
        url = app.extensions["todo_config"].rate_limit_redis_url
        counters = app.extensions["todo_rate_counters"] = (
            RedisCounters.from_url(url, prefix=f"todo:{app.extensions['todo_service']}:")
            if url
            else DatabaseCounters(app.extensions["todo_db"], model)
        )
    return counters


def count_hits(counters: RateCounters, hits: list[tuple[RateLimit, str]]) -> int | None:
    """Count one hit per (limit, value), outside the request's transaction (the count stays when
    the request's work is rolled back); None if all allow it, else the longest wait. Keys are
    hashes: no store holds the addresses or names counted."""
    if not hits:
        return None
    now = time.time()
    limits = {}
    for limit, value in hits:
        key = hashlib.sha256(f"{limit.name}:{limit.period}:{value}".encode()).hexdigest()
        limits[key] = limit
    windows = {key: (int(now // limit.period), limit.period) for key, limit in limits.items()}
    counted = counters.count(windows, now)
    waits = [limits[key].wait(now, current, previous) for key, current, previous in counted]
    return max((wait for wait in waits if wait is not None), default=None)


def enforce(counters: RateCounters, hits: list[tuple[RateLimit, str]], description: str) -> None:
    """Count the hits; raise 429 Too Many Requests (with Retry-After) when one is over its limit."""
    wait = count_hits(counters, hits)
    if wait is not None:
        raise TooManyRequests(description, retry_after=wait)
