"""The in-memory rate-limit storage: same answers as limits' own, far fewer sweeps."""

import threading
import time

from limits.storage import MemoryStorage, storage_from_string

from shared import ratelimit as limits


def test_memory_uri_gives_the_sweeping_storage_which_counts_and_expires(monkeypatch):
    monkeypatch.setattr(limits, "EXPIRY_SWEEP_SECONDS", 0.05)
    storage = storage_from_string("memory://")
    assert isinstance(storage, limits.SweepingMemoryStorage)
    time.sleep(0.05)  # the timer limits starts in __init__ has run

    threads_before = threading.active_count()
    for n in range(500):
        storage.incr(f"email:{n}", 0.02)
    assert storage.incr("email:1", 0.02) == 2
    # One sweep thread for all those hits, not one per hit.
    assert threading.active_count() <= threads_before + 1

    time.sleep(0.2)
    assert storage.get("email:1") == 0
    assert storage.expirations == {}


def count_sweeps(storage: MemoryStorage, monkeypatch, seconds: float) -> int:
    """Sweeps of `storage` while it is hit every millisecond for `seconds`."""
    sweeps = []
    sweep = storage._MemoryStorage__expire_events
    monkeypatch.setattr(
        storage, "_MemoryStorage__expire_events", lambda: sweeps.append(1) or sweep()
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        storage.incr("ip:127.0.0.1", 60)
        time.sleep(0.001)
    return len(sweeps)


def test_a_busy_storage_sweeps_once_a_second_where_limits_sweeps_every_10_ms(monkeypatch):
    # The timer is created with the bound method, so the count starts after the first sweep.
    ours = limits.SweepingMemoryStorage("memory://")
    theirs = MemoryStorage("memory://")
    time.sleep(0.05)
    assert count_sweeps(ours, monkeypatch, 0.5) <= 1
    assert count_sweeps(theirs, monkeypatch, 0.5) >= 10
