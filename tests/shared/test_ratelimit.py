"""Rate limits counted in the database: notation, several limits in one statement, expiry."""

import pytest
from sqlalchemy import func, select

from services.registration.models import RateCounter
from shared import ratelimit
from shared.ratelimit import DatabaseRateLimit, count_hits, parse_rate_limits


def test_the_notation_of_the_settings():
    assert parse_rate_limits("ip", "300/minute; 100 per 2 hours;5/Second") == (
        DatabaseRateLimit("ip", 300, 60),
        DatabaseRateLimit("ip", 100, 7200),
        DatabaseRateLimit("ip", 5, 1),
    )
    for wrong in ["300", "ten/minute", "5/fortnight", "1/minute/2", "-1/minute"]:
        with pytest.raises(ValueError, match="not a rate limit"):
            parse_rate_limits("ip", wrong)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_limits_of_different_periods_are_counted_together(make_database, monkeypatch, backend):
    db = make_database("registration", backend)
    clock = [7_200_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    per_minute = DatabaseRateLimit("ip", limit=3, period=60)
    per_hour = DatabaseRateLimit("ip", limit=5, period=3600)
    both = [(per_minute, "203.0.113.9"), (per_hour, "203.0.113.9")]
    assert [count_hits(db, RateCounter, both) for _ in range(3)] == [None] * 3
    # The fourth hit is over the minute's limit: wait until this minute's window has passed.
    assert count_hits(db, RateCounter, both) == 60
    clock[0] += 120  # the minute's count is gone, the hour's is not
    assert count_hits(db, RateCounter, both) is None
    assert count_hits(db, RateCounter, both) == 3600 - 120


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_expired_counters_are_deleted(make_database, monkeypatch, backend):
    db = make_database("registration", backend)
    clock = [7_200_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    monkeypatch.setattr(ratelimit, "_sweeper", ratelimit._Sweeper())
    limit = DatabaseRateLimit("email", limit=10, period=60)
    for n in range(20):
        count_hits(db, RateCounter, [(limit, f"person{n}@example.org")])
    clock[0] += 180  # two periods after those windows, and a minute since the last sweep
    count_hits(db, RateCounter, [(limit, "late@example.org")])
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RateCounter)) == 1
