"""Settings of the notify service beyond the shared `Config`, read from the same environment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from shared.config import env_number, read_environment

_DURATION_RE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_offsets(raw: str) -> tuple[timedelta, ...]:
    """ "24h,1h" -> (24 h, 1 h), longest first."""
    offsets = []
    for part in raw.split(","):
        match = _DURATION_RE.match(part)
        if not match:
            raise ValueError(f"REMINDER_OFFSETS: {part!r} is not like 24h, 90m or 2d")
        offsets.append(timedelta(**{_UNITS[match[2]]: int(match[1])}))
    return tuple(sorted(set(offsets), reverse=True))


@dataclass(frozen=True)
class NotifySettings:
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    reminder_poll_seconds: float = 30.0
    # Mails per second handed to SMTP by all mail processes together (set it to what the relay
    # allows); 0 means no limit.
    mail_rate_limit: float = 0.0
    # Small claims let several senders share a burst instead of one taking it all.
    mail_batch_size: int = 10
    # Mail sender processes `todo up` starts (NOTIFY_MAIL_PROCESSES): composing a mail costs
    # milliseconds of CPU, so one process alone stays below 100 mails/s.
    mail_processes: int = 2
    mail_max_attempts: int = 8
    mail_retry_base_seconds: float = 30.0
    mail_retry_max_seconds: float = 3600.0
    # A mail claimed longer ago than this is taken to belong to a crashed worker.
    mail_sending_timeout_seconds: float = 300.0
    mail_poll_seconds: float = 1.0
    smtp_timeout_seconds: float = 20.0
    # Public feeds are kept in each web process this long between database reads.
    feed_cache_seconds: float = 2.0
    feed_refresh: timedelta = timedelta(hours=1)
    # Sent and failed mail keeps its address, content and message this long, then only its
    # delivery record (kind, state, times, attempts).
    mail_retention_days: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> NotifySettings:
        env = read_environment() if env is None else env
        offsets = env.get("REMINDER_OFFSETS", "").strip()
        return cls(
            reminder_offsets=parse_offsets(offsets) if offsets else cls.reminder_offsets,
            reminder_poll_seconds=env_number(
                env, "REMINDER_POLL_SECONDS", cls.reminder_poll_seconds
            ),
            mail_rate_limit=env_number(env, "MAIL_RATE_LIMIT", cls.mail_rate_limit),
            mail_processes=env_number(env, "NOTIFY_MAIL_PROCESSES", cls.mail_processes),
            mail_max_attempts=env_number(env, "MAIL_MAX_ATTEMPTS", cls.mail_max_attempts),
            mail_retry_base_seconds=env_number(
                env, "MAIL_RETRY_BASE_SECONDS", cls.mail_retry_base_seconds
            ),
            mail_sending_timeout_seconds=env_number(
                env, "MAIL_SENDING_TIMEOUT_SECONDS", cls.mail_sending_timeout_seconds
            ),
            smtp_timeout_seconds=env_number(env, "SMTP_TIMEOUT_SECONDS", cls.smtp_timeout_seconds),
            feed_cache_seconds=env_number(env, "FEED_CACHE_SECONDS", cls.feed_cache_seconds),
            mail_retention_days=env_number(env, "MAIL_RETENTION_DAYS", cls.mail_retention_days),
        )
