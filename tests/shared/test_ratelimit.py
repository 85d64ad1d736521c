"""The in-memory rate-limit storage: same answers as limits' own, one sweep thread a second."""

import threading
import time

from limits.storage import storage_from_string

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
