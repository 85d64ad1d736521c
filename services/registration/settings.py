"""Settings of the registration service beyond the shared `Config`, read from the environment.

The shared `Config` knows ports, databases and URLs; the policies below (rate limits, email
confirmation, holds, seats of no-shows, retention) only concern this service, so they are read
here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import cached_property

from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.config import Config, env_bool, env_number, read_environment
from shared.messages.schedule import MAX_NO_SHOW_MINUTES
from shared.ratelimit import RateLimit, parse_rate_limits


@dataclass(frozen=True)
class RegistrationSettings:
    # "100/minute;1000/hour": per client address and per email address.
    rate_limit_per_ip: str = "300/minute"
    rate_limit_per_email: str = "10/minute"
    # Check-in attempts per organiser token or account, found or not: a door scanning one
    # ticket a second stays below it, guessing codes is hopeless (see `codes`).
    checkin_rate_limit: str = "120/minute;5000/hour"
    # Whether a ticket waits for the email address to be confirmed (events may override).
    confirm_email: bool = False
    hold_minutes: int = 30
    # Minutes after a session's start when seats of tickets not checked in go to people at the
    # door; None: never (events may override).
    release_no_shows_after_minutes: int | None = None
    # Personal data of an event is anonymised this many days after its last day.
    purge_after_days: int = 30
    # Answers kept for `Idempotency-Key` retries (they name the address) are deleted after this.
    idempotency_retention_hours: float = 24.0
    consent_version: str = "2024-04-01"
    sweep_interval_seconds: float = 30.0

    ENV_NAMES = {
        "rate_limit_per_ip": "REGISTRATION_RATE_LIMIT_PER_IP",
        "rate_limit_per_email": "REGISTRATION_RATE_LIMIT_PER_EMAIL",
        "checkin_rate_limit": "REGISTRATION_CHECKIN_RATE_LIMIT",
        "confirm_email": "REGISTRATION_CONFIRM_EMAIL",
        "hold_minutes": "REGISTRATION_HOLD_MINUTES",
        "release_no_shows_after_minutes": "REGISTRATION_RELEASE_NO_SHOWS_AFTER_MINUTES",
        "purge_after_days": "REGISTRATION_PURGE_AFTER_DAYS",
        "idempotency_retention_hours": "REGISTRATION_IDEMPOTENCY_RETENTION_HOURS",
        "consent_version": "REGISTRATION_CONSENT_VERSION",
        "sweep_interval_seconds": "REGISTRATION_SWEEP_INTERVAL_SECONDS",
    }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> RegistrationSettings:
        env = read_environment() if env is None else env
        changes = {}
        for spec in fields(cls):
            name, default = cls.ENV_NAMES[spec.name], getattr(cls, spec.name)
            if isinstance(default, bool):
                changes[spec.name] = env_bool(env, name, default)
            elif isinstance(default, int | float):
                changes[spec.name] = env_number(env, name, default)
            elif spec.type == "int | None":
                # Unset or empty: None; otherwise a whole number.
                changes[spec.name] = env_number(env, name, 0) if env.get(name, "").strip() else None
            else:
                changes[spec.name] = env.get(name, "").strip() or default
        return cls(**changes)

    def __post_init__(self) -> None:
        for name in ("rate_limit_per_ip", "rate_limit_per_email", "checkin_rate_limit"):
            try:
                parse_rate_limits(name, getattr(self, name))
            except ValueError as error:
                raise ValueError(f"{self.ENV_NAMES[name]}: {error}") from None
        minutes = self.release_no_shows_after_minutes
        if minutes is not None and not 0 <= minutes <= MAX_NO_SHOW_MINUTES:
            name = self.ENV_NAMES["release_no_shows_after_minutes"]
            raise ValueError(f"{name} must be between 0 and {MAX_NO_SHOW_MINUTES}, not {minutes}")

    @cached_property
    def limits_per_ip(self) -> tuple[RateLimit, ...]:
        return parse_rate_limits("registration-address", self.rate_limit_per_ip)

    @cached_property
    def limits_per_email(self) -> tuple[RateLimit, ...]:
        return parse_rate_limits("registration-email", self.rate_limit_per_email)

    @cached_property
    def checkin_limits(self) -> tuple[RateLimit, ...]:
        return parse_rate_limits("checkin-organiser", self.checkin_rate_limit)

    def with_overrides(self, **changes) -> RegistrationSettings:
        return replace(self, **changes)


@dataclass(frozen=True)
class Links:
    """The URLs that mails and pages carry: manage page, email confirmation, personal feed."""

    registration_url: str
    notify_url: str
    secret_key: str = field(repr=False)

    @classmethod
    def from_config(cls, config: Config) -> Links:
        return cls(
            registration_url=config.service_urls["registration"],
            notify_url=config.service_urls["notify"],
            secret_key=config.secret_key,
        )

    def manage_url(self, event: str, manage_token: str) -> str:
        return f"{self.registration_url}/{event}/manage/{manage_token}"

    def feed_url(self, event: str, feed_token: str) -> str:
        return f"{self.notify_url}/{event}/calendar/personal/{feed_token}.ics"

    def _confirm_serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt="registration-confirm-email")

    def confirm_token(self, attendee_id: int) -> str:
        return self._confirm_serializer().dumps(attendee_id)

    def confirm_url(self, event: str, attendee_id: int) -> str:
        return f"{self.registration_url}/{event}/confirm/{self.confirm_token(attendee_id)}"

    def attendee_of_confirm_token(self, token: str) -> int | None:
        try:
            value = self._confirm_serializer().loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, int) else None
