"""The logs carry no personal data or secrets: a realistic flow through the real code at DEBUG,
logged as every process logs (`configure_logging`), then searched for the attendees' names and
addresses, their tokens, the organiser token and the SMTP password."""

from __future__ import annotations

import io
import logging
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bench.common import SmtpSink
from shared.logging import configure_logging
from tests.support.security import EVENT

SMTP_PASSWORD = "smtp-Quokka-7f3k"
NAME, EMAIL = "Xaveria Protokollfrei", "xäveria.protokollfrei@example.de"
REFUSED_NAME, REFUSED = "Zölestin Abgewiesen", "zoelestin.abgewiesen@example.org"
# Logged by the test's own SMTP server, not by the platform.
TEST_SIDE_LOGGERS = ("mail.log", "asyncio")


@pytest.fixture
def smtp():
    with SmtpSink(credentials=("todo", SMTP_PASSWORD)) as sink:
        yield sink


class NotFromTheTestSide(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(TEST_SIDE_LOGGERS)


@pytest.fixture
def platform_log():
    """Everything the platform logs at DEBUG, formatted as its processes write it."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("DEBUG", process="test", stream=stream)
    root.handlers[0].addFilter(NotFromTheTestSide())
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_logs_carry_no_names_addresses_tokens_or_passwords(platform, platform_log):
    platform.smtp.refused.add(REFUSED)
    for name, address in ((NAME, EMAIL), (REFUSED_NAME, REFUSED)):
        response = platform.register(name, address, sessions=(1, 2))
        assert response.status_code == 201, response.get_data(as_text=True)
    # The same person again, and a registration refused for its input.
    platform.register(NAME, EMAIL, sessions=(1,))
    assert platform.register(NAME, "not an address").status_code == 422
    platform.deliver()
    platform.send_mail()

    [mail, *_] = platform.smtp.messages_to(EMAIL)
    text = mail.decode().replace("=\r\n", "")
    tokens = re.findall(r"/(?:manage|calendar/personal)/([A-Za-z0-9_-]{16,})", text)
    assert tokens
    for path in re.findall(r"https?://[^/\s\"]+(/[^\s\"<>]+)", text):
        if "/manage/" in path:
            platform.clients["registration"].get(path)
        elif "/calendar/personal/" in path:
            platform.clients["notify"].get(path)
    organiser = {"Authorization": f"Bearer {platform.token}"}
    response = platform.clients["registration"].get(
        f"/api/v1/events/{EVENT}/attendees.csv", headers=organiser
    )
    assert NAME in response.get_data(as_text=True)

    log = platform_log.getvalue()
    assert "mail " in log and "failed" in log  # the refused mail was logged, by its id
    secrets = {
        NAME,
        *NAME.split(),
        EMAIL,
        EMAIL.split("@")[0],
        REFUSED_NAME,
        *REFUSED_NAME.split(),
        REFUSED,
        REFUSED.split("@")[0],
        *tokens,
        platform.token,
        SMTP_PASSWORD,
    }
    leaked = sorted(s for s in secrets if s.lower() in log.lower())
    assert not leaked, [line for line in log.splitlines() if any(s in line for s in leaked)]


def test_a_database_error_is_logged_without_the_values_it_quotes(platform, platform_log):
    database = platform.dbs["registration"]
    with pytest.raises(IntegrityError) as failure, database.transaction() as session:
        session.execute(text("CREATE TEMPORARY TABLE people (email text UNIQUE, name text)"))
        for _ in range(2):
            session.execute(
                text("INSERT INTO people VALUES (:email, :name)"), {"email": EMAIL, "name": NAME}
            )
    # PostgreSQL's DETAIL and SQLAlchemy's parameters quote both.
    assert EMAIL in str(failure.value) and NAME in str(failure.value)

    logging.getLogger("shared.web").error("unhandled error", exc_info=failure.value)

    log = platform_log.getvalue()
    assert "unhandled error" in log and "UniqueViolation" in log
    assert EMAIL.split("@")[0] not in log and NAME not in log
