"""Logging with the correlation id of the request or message being handled on every line, and
without personal data: call sites log ids, never names, addresses or tokens; as a safety net for
texts they do not control (database errors, tracebacks), every line is written without the
values a database error quotes and without anything shaped like an email address."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from urllib.parse import urlsplit

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


# PostgreSQL's DETAIL quotes the row or key ("Key (email)=(anna@example.org) already exists");
# SQLAlchemy's error texts end with the statement's parameters.
_QUOTED_VALUES_RE = re.compile(r"(DETAIL:|\[parameters:).*$", re.MULTILINE)
_ADDRESS_RE = re.compile(
    r"<?[^\s<>()\[\]{}'\"`,;:@]+@[^\s<>()\[\]{}'\"`,;:@]+\.[^\s<>()\[\]{}'\"`,;:@]+>?"
)
# Query parameters that carry credentials in database and broker URLs.
_SECRET_PARAM_RE = re.compile(r"((?:^|&)[^=&]*(?:pass|secret|token|key)[^=&]*=)[^&]*", re.I)


def redact_url(url: str) -> str:
    """The URL fit to print or log: its password (and any password-like query parameter) is
    replaced with "***"; "smtp://todo:s3cret@mail.example" -> "smtp://todo:***@mail.example".
    A list of URLs (AMQP_URL naming a cluster's nodes) has each of them redacted."""
    if url.count("://") > 1:
        return ",".join(redact_url(part) for part in url.split(","))
    parts = urlsplit(url)
    if parts.password is not None:
        user_info, host = parts.netloc.rsplit("@", 1)
        url = url.replace(f"//{parts.netloc}", f"//{user_info.split(':', 1)[0]}:***@{host}", 1)
    head, mark, query = url.partition("?")
    return head + mark + _SECRET_PARAM_RE.sub(r"\1***", query)


def current_correlation_id() -> str | None:
    return correlation_id.get()


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def without_personal_data(text: str) -> str:
    """The text without values quoted by a database error and without email addresses (a
    server refusing one quotes it: "550 <anna@example.org>: unknown")."""
    text = _QUOTED_VALUES_RE.sub(
        lambda m: f"{m[1]} (left out){']' if m[1].startswith('[') else ''}", text
    )
    return _ADDRESS_RE.sub("<address>", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return without_personal_data(super().format(record))


class CorrelationIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get() or "-"
        return True


def configure_logging(level: str = "INFO", process: str = "todo", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(CorrelationIdFilter())
    handler.setFormatter(
        RedactingFormatter(
            f"%(asctime)s %(levelname)s {process} [%(correlation_id)s] %(name)s: %(message)s"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("pika", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
