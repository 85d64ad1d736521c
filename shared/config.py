"""Configuration of every service and command, read from the environment in one place.

A `.env` file in the working directory may set the same names; real environment variables win.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from shared.logging import redact_url

SERVICES = ("schedule", "registration", "notify")
DEFAULT_PORTS = {"schedule": 8001, "registration": 8002, "notify": 8003}
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
# Sessions, CSRF tokens and confirmation links are signed with SECRET_KEY.
SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 32
# Keys that were once in this repository or its examples: anyone could sign cookies with them.
KNOWN_DEVELOPMENT_KEYS = frozenset({"dev-secret-change-me", "change-me-in-production"})
GENERATE_KEY_HINT = (
    "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
)


Number = TypeVar("Number", int, float)


class ConfigError(ValueError):
    """A setting that makes the process refuse to start; the message says what to change."""


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
        raise ConfigError(f"{name} must be {kind}, not {raw!r}") from exc


def env_bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    var_dir: Path = Path("var")
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    # URLs that may carry passwords stay out of the printed form (logs, tracebacks).
    database_urls: dict[str, str] = field(default_factory=dict, repr=False)
    amqp_url: str = field(default=DEFAULT_AMQP_URL, repr=False)
    amqp_queue_type: str = "classic"
    smtp_url: str = field(default="", repr=False)
    mail_from: str = "to:DO Dortmund <noreply@todo-dortmund.de>"
    organizer_email: str = "programm@todo-dortmund.de"
    # Where replies to the attendees' mails go (MAIL_REPLY_TO); unset, mails come from the
    # no-reply sender only and their texts do not invite replies.
    mail_reply_to: str = ""
    public_base_url: str = ""
    service_urls: dict[str, str] = field(default_factory=dict)
    secret_key: str = field(default="", repr=False)
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
    # Reverse proxies in front of the web processes (TRUSTED_PROXIES): their X-Forwarded-For,
    # -Proto and -Host are believed, so rate limits count clients, not the proxy.
    trusted_proxies: int = 0
    # Where rate limits are counted (RATE_LIMIT_REDIS_URL); unset, in each service's database.
    rate_limit_redis_url: str = field(default="", repr=False)
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
        public_url = env.get("PUBLIC_BASE_URL") or service_urls["schedule"]
        return cls(
            var_dir=var_dir,
            ports=ports,
            database_urls=database_urls,
            amqp_url=_amqp_url(env.get("AMQP_URL") or DEFAULT_AMQP_URL),
            amqp_queue_type=_queue_type(env.get("AMQP_QUEUE_TYPE") or "classic"),
            smtp_url=env.get("SMTP_URL", ""),
            mail_from=env.get("MAIL_FROM") or cls.mail_from,
            organizer_email=env.get("ORGANIZER_EMAIL") or cls.organizer_email,
            mail_reply_to=env.get("MAIL_REPLY_TO", "").strip(),
            public_base_url=public_url.rstrip("/"),
            service_urls=service_urls,
            secret_key=secret_key(env, var_dir, bind_host, [*service_urls.values(), public_url]),
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
            trusted_proxies=env_number(env, "TRUSTED_PROXIES", cls.trusted_proxies),
            rate_limit_redis_url=_redis_url(env.get("RATE_LIMIT_REDIS_URL", "").strip()),
            testing=env_bool(env, "TODO_TESTING", False),
        )

    def database_url(self, service: str) -> str:
        return self.database_urls[service]

    def with_overrides(self, **changes) -> Config:
        return replace(self, **changes)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secret_key(env: dict[str, str], var_dir: Path, bind_host: str, urls: list[str]) -> str:
    """SECRET_KEY, checked; unset on a loopback-only platform: a random key kept in `var/`.

    Anything reachable from elsewhere (bound beyond loopback, or served over https) must be
    given a key: a generated file would differ between machines and containers, and a default
    would be one that anybody can read.
    """
    key = env.get("SECRET_KEY", "").strip()
    if key:
        check_secret_key(key, "SECRET_KEY")
        return key
    public = [url for url in urls if url.lower().startswith("https://")]
    if not is_loopback(bind_host) or public:
        reason = f"BIND_HOST is {bind_host}" if not is_loopback(bind_host) else public[0]
        raise ConfigError(
            f"SECRET_KEY is not set, and the platform is reachable from outside ({reason}): "
            f"refusing to start. Set SECRET_KEY to a random value of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters, the same for every process; {GENERATE_KEY_HINT}"
        )
    return local_secret_key(var_dir / SECRET_KEY_FILE)


def check_secret_key(key: str, source: str) -> None:
    if key in KNOWN_DEVELOPMENT_KEYS:
        raise ConfigError(
            f"{source} is a published development key; anyone could forge organiser sessions "
            f"with it; {GENERATE_KEY_HINT}"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"{source} is too short ({len(key)} characters, at least {MIN_SECRET_KEY_LENGTH} "
            f"are needed); {GENERATE_KEY_HINT}"
        )


def local_secret_key(path: Path) -> str:
    """The key in `path`, created once (mode 0600) by whichever process comes first."""
    if not path.exists():
        # var/ holds this key and the SQLite files: private to the owner (shared.db likewise).
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Written under a private name, then linked into place: a process starting at the same
        # moment either sees no file or the whole key, and the first link wins.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink()
    key = path.read_text().strip()
    check_secret_key(key, str(path))
    return key


QUEUE_TYPES = ("classic", "quorum")


def _queue_type(value: str) -> str:
    if value not in QUEUE_TYPES:
        raise ConfigError(f"AMQP_QUEUE_TYPE must be classic or quorum, not {value!r}")
    return value


def _redis_url(value: str) -> str:
    if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("RATE_LIMIT_REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return value


def broker_urls(amqp_url: str) -> list[str]:
    """The nodes `AMQP_URL` names: one URL, or several separated by commas (the nodes of a
    cluster, each with the same user, vhost and options)."""
    return [url.strip() for url in amqp_url.split(",") if url.strip()]


def _amqp_url(value: str) -> str:
    for url in broker_urls(value) or [value]:
        if urlsplit(url).scheme not in ("amqp", "amqps") or not urlsplit(url).hostname:
            raise ConfigError(
                "AMQP_URL must be amqp:// or amqps:// URLs, several separated by commas, "
                f"not {redact_url(url)!r}"
            )
    return value
