"""Configuration of every service and command, read from the environment in one place.

A `.env` file in the working directory may set the same names; real environment variables win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

SERVICES = ("schedule", "registration", "notify")
DEFAULT_PORTS = {"schedule": 8001, "registration": 8002, "notify": 8003}
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


Number = TypeVar("Number", int, float)


def read_environment() -> dict[str, str]:
    """The environment, over what `.env` sets. Every service's settings start from this."""
    values = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    values.update(os.environ)
    return values


def env_number(env: dict[str, str], name: str, default: Number) -> Number:
    """`env[name]` as a number of the default's type; the default when unset or empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return type(default)(raw)
    except ValueError as exc:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise ValueError(f"{name} must be {kind}, not {raw!r}") from exc


def env_bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    var_dir: Path = Path("var")
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    database_urls: dict[str, str] = field(default_factory=dict)
    amqp_url: str = DEFAULT_AMQP_URL
    amqp_queue_type: str = "classic"
    smtp_url: str = ""
    mail_from: str = "to:DO Dortmund <noreply@todo-dortmund.de>"
    organizer_email: str = "programm@todo-dortmund.de"
    public_base_url: str = ""
    service_urls: dict[str, str] = field(default_factory=dict)
    secret_key: str = "dev-secret-change-me"
    bind_host: str = "127.0.0.1"
    web_workers: int = 2
    web_threads: int = 8
    max_content_length: int = 1024 * 1024
    consumer_max_attempts: int = 5
    consumer_retry_base_ms: int = 500
    relay_batch_size: int = 200
    # The relay starts at most one batch per interval (RELAY_BATCH_INTERVAL_SECONDS).
    relay_batch_interval_seconds: float = 0.05
    # Published outbox rows carry personal data (names, addresses, links): the relays delete
    # them this long after publishing. Consumers forget handled message ids after the second,
    # far longer than any redelivery (seconds to hours; a stopped relay publishes again later).
    outbox_retention_days: float = 7.0
    processed_message_retention_days: float = 30.0
    log_level: str = "INFO"
    rate_limit_storage_url: str = "memory://"
    testing: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = read_environment() if env is None else env
        var_dir = Path(env.get("TODO_VAR_DIR") or "var")
        ports = {s: env_number(env, f"{s.upper()}_PORT", DEFAULT_PORTS[s]) for s in SERVICES}
        database_urls = {
            s: env.get(f"{s.upper()}_DATABASE_URL")
            or f"sqlite:///{(var_dir / f'{s}.db').as_posix()}"
            for s in SERVICES
        }
        bind_host = env.get("BIND_HOST") or "127.0.0.1"
        public_host = "127.0.0.1" if bind_host in {"0.0.0.0", "::"} else bind_host
        service_urls = {
            s: (env.get(f"{s.upper()}_BASE_URL") or f"http://{public_host}:{ports[s]}").rstrip("/")
            for s in SERVICES
        }
        return cls(
            var_dir=var_dir,
            ports=ports,
            database_urls=database_urls,
            amqp_url=env.get("AMQP_URL") or DEFAULT_AMQP_URL,
            amqp_queue_type=env.get("AMQP_QUEUE_TYPE") or "classic",
            smtp_url=env.get("SMTP_URL", ""),
            mail_from=env.get("MAIL_FROM") or cls.mail_from,
            organizer_email=env.get("ORGANIZER_EMAIL") or cls.organizer_email,
            public_base_url=(env.get("PUBLIC_BASE_URL") or service_urls["schedule"]).rstrip("/"),
            service_urls=service_urls,
            secret_key=env.get("SECRET_KEY") or cls.secret_key,
            bind_host=bind_host,
            web_workers=env_number(env, "WEB_WORKERS", cls.web_workers),
            web_threads=env_number(env, "WEB_THREADS", cls.web_threads),
            max_content_length=env_number(env, "MAX_CONTENT_LENGTH", cls.max_content_length),
            consumer_max_attempts=env_number(
                env, "CONSUMER_MAX_ATTEMPTS", cls.consumer_max_attempts
            ),
            consumer_retry_base_ms=env_number(
                env, "CONSUMER_RETRY_BASE_MS", cls.consumer_retry_base_ms
            ),
            relay_batch_size=env_number(env, "RELAY_BATCH_SIZE", cls.relay_batch_size),
            relay_batch_interval_seconds=env_number(
                env, "RELAY_BATCH_INTERVAL_SECONDS", cls.relay_batch_interval_seconds
            ),
            outbox_retention_days=env_number(
                env, "OUTBOX_RETENTION_DAYS", cls.outbox_retention_days
            ),
            processed_message_retention_days=env_number(
                env, "PROCESSED_MESSAGE_RETENTION_DAYS", cls.processed_message_retention_days
            ),
            log_level=env.get("LOG_LEVEL") or cls.log_level,
            rate_limit_storage_url=env.get("RATE_LIMIT_STORAGE_URL") or "memory://",
            testing=env_bool(env, "TODO_TESTING", False),
        )

    def database_url(self, service: str) -> str:
        return self.database_urls[service]

    def with_overrides(self, **changes) -> Config:
        return replace(self, **changes)
