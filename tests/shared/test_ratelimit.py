"""Rate limits: notation, several limits counted in one round trip, the sliding window, expiry;
counted in the database (PostgreSQL, SQLite) or in Redis (RATE_LIMIT_REDIS_URL)."""

import uuid

import pytest
import redis
from sqlalchemy import func, select

from services.registration.models import RateCounter
from shared import ratelimit
from shared.config import Config, ConfigError
from shared.ratelimit import (
    DatabaseCounters,
    RateLimit,
    RedisCounters,
    count_hits,
    parse_rate_limits,
)

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_the_notation_of_the_settings():
    assert parse_rate_limits("ip", "300/minute; 100 per 2 hours;5/Second") == (
        RateLimit("ip", 300, 60),
        RateLimit("ip", 100, 7200),
        RateLimit("ip", 5, 1),
    )
    for wrong in ["300", "ten/minute", "5/fortnight", "1/minute/2", "-1/minute"]:
        with pytest.raises(ValueError, match="not a rate limit"):
            parse_rate_limits("ip", wrong)


@pytest.fixture(params=["postgresql", "sqlite", "redis"])
def counters(request, make_database):
    """Counters in each store; Redis keys of the test's own, removed afterwards."""
    if request.param != "redis":
        yield DatabaseCounters(make_database("registration", request.param), RateCounter)
        return
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex}:"
    yield RedisCounters(client, prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_limits_of_different_periods_are_counted_together(counters, monkeypatch):
    clock = [7_200_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    per_minute = RateLimit("ip", limit=3, period=60)
    per_hour = RateLimit("ip", limit=5, period=3600)
    both = [(per_minute, "203.0.113.9"), (per_hour, "203.0.113.9")]
    assert [count_hits(counters, both) for _ in range(3)] == [None] * 3
    # The fourth hit is over the minute's limit: wait until this minute's window has passed.
    assert count_hits(counters, both) == 60
    clock[0] += 120  # the minute's count is gone, the hour's is not
    assert count_hits(counters, both) is None
    assert count_hits(counters, both) == 3600 - 120


def test_the_limit_slides_over_the_window_boundary(counters, monkeypatch):
    limit = RateLimit("test", limit=10, period=60)
    clock = [6_000_000 + 59.9]  # just before a window ends
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    assert [limit.hit(counters, "198.51.100.7") for _ in range(10)] == [None] * 10
    clock[0] += 0.2  # a new window: the last one's hits still count almost fully
    assert limit.hit(counters, "198.51.100.7") is not None
    assert limit.hit(counters, "198.51.100.8") is None
    clock[0] += 30  # half of the last window lies within the last minute
    assert [limit.hit(counters, "198.51.100.7") for _ in range(5)] == [None] * 4 + [30]


def test_redis_keeps_no_address_and_each_counter_two_periods(monkeypatch):
    client = redis.Redis.from_url(REDIS_URL)
    counters = RedisCounters(client, f"test-{uuid.uuid4().hex}:")
    count_hits(counters, [(RateLimit("email", limit=10, period=60), "eda@example.org")])
    [key] = list(client.scan_iter(f"{counters.prefix}*"))
    assert b"example" not in key
    assert 60 < client.ttl(key) <= 120
    client.delete(key)
    client.close()


def test_without_redis_requests_are_let_through():
    counters = RedisCounters.from_url("redis://127.0.0.1:1/0", prefix="nowhere:")
    assert count_hits(counters, [(RateLimit("ip", limit=0, period=60), "203.0.113.9")]) is None


def test_the_setting_takes_redis_urls_only():
    assert Config.from_env({"RATE_LIMIT_REDIS_URL": REDIS_URL}).rate_limit_redis_url == REDIS_URL
    assert Config.from_env({}).rate_limit_redis_url == ""
    with pytest.raises(ConfigError, match="RATE_LIMIT_REDIS_URL"):
        Config.from_env({"RATE_LIMIT_REDIS_URL": "http://127.0.0.1:6379"})


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_expired_counters_are_deleted(make_database, monkeypatch, backend):
    db = make_database("registration", backend)
    counters = DatabaseCounters(db, RateCounter)
    clock = [7_200_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    monkeypatch.setattr(ratelimit, "_sweeper", ratelimit._Sweeper())
    limit = RateLimit("email", limit=10, period=60)
    for n in range(20):
        count_hits(counters, [(limit, f"person{n}@example.org")])
    clock[0] += 180  # two periods after those windows, and a minute since the last sweep
    count_hits(counters, [(limit, "late@example.org")])
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RateCounter)) == 1
