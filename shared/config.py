"""Configuration of every service and command, read from the environment in one place.

A `.env` file in the working directory may set the same names; real environment variables win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

SERVICES = ("schedule", "registration", "notify")
DEFAULT_PORTS = {"schedule": 8001, "registration": 8002, "notify": 8003}
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _read_environment() -> dict[str, str]:
    values = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    values.update(os.environ)
    return values


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
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
    relay_poll_seconds: float = 0.5
    log_level: str = "INFO"
    rate_limit_storage_url: str = "memory://"
    testing: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = _read_environment() if env is None else env
        var_dir = Path(env.get("TODO_VAR_DIR") or "var")
        ports = {s: _int(env, f"{s.upper()}_PORT", DEFAULT_PORTS[s]) for s in SERVICES}
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
            web_workers=_int(env, "WEB_WORKERS", cls.web_workers),
            web_threads=_int(env, "WEB_THREADS", cls.web_threads),
            max_content_length=_int(env, "MAX_CONTENT_LENGTH", cls.max_content_length),
            consumer_max_attempts=_int(env, "CONSUMER_MAX_ATTEMPTS", cls.consumer_max_attempts),
            consumer_retry_base_ms=_int(env, "CONSUMER_RETRY_BASE_MS", cls.consumer_retry_base_ms),
            relay_batch_size=_int(env, "RELAY_BATCH_SIZE", cls.relay_batch_size),
            log_level=env.get("LOG_LEVEL") or cls.log_level,
            rate_limit_storage_url=env.get("RATE_LIMIT_STORAGE_URL") or "memory://",
            testing=_bool(env, "TODO_TESTING", False),
        )

    def database_url(self, service: str) -> str:
        return self.database_urls[service]

    def with_overrides(self, **changes) -> Config:
        return replace(self, **changes)
