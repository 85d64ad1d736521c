"""Rate limits (Flask-Limiter) as the services set them up: one storage URL for all, and an
in-memory storage that stays cheap when it holds many counters."""

from __future__ import annotations

import threading

from flask import Flask
from flask_limiter import Limiter
from limits.storage import MemoryStorage

from shared.config import Config

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
