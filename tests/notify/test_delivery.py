"""The delivery worker against a real SMTP server (aiosmtpd) and the Maildir default."""

from __future__ import annotations

import json
import mailbox
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.notify.delivery import MailWorker, SmtpTransport, TemporaryFailure
from services.notify.models import OutboxMessage
from shared.db import utcnow
from tests.notify.calendar_checks import assert_valid_calendar


@pytest.fixture
def confirmed(deliver, release_data, ticket_data):
    deliver("schedule.release.published", release_data(1))
    deliver("registration.ticket.confirmed", ticket_data())


def outbox(notify_db) -> list[tuple[str, dict]]:
    with notify_db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.routing_key, json.loads(row.body)["data"]) for row in rows]


def test_mail_reaches_the_smtp_server_with_its_mime_structure(
    confirmed, mail_worker, smtp_server, mails, notify_db
):
    assert mail_worker.deliver_due() == 1

    (received,) = smtp_server.handler.received
    assert received.rcpt_tos == ["anna1@example.org"]
    assert received.mail_from == "noreply@todo-dortmund.de"
    (message,) = smtp_server.messages
    assert message.get_content_type() == "multipart/mixed"
    alternative = message.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in alternative.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    calendar = next(p for p in alternative.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert_valid_calendar(calendar.get_content())
    assert next(message.iter_attachments()).get_filename() == "invite.ics"

    (mail,) = mails()
    assert (mail.state, mail.attempts) == ("sent", 1)
    assert outbox(notify_db) == [
        (
            "notify.mail.sent",
            {
                "mail_id": mail.id,
                "kind": "ticket_confirmed",
                "event": "todo2024",
                "cause_message_id": mail.cause_message_id,
                "attempts": 1,
            },
        )
    ]
    assert mail_worker.deliver_due() == 0


def test_smtp_down_for_a_while_is_retried_and_delivered(confirmed, mail_worker, smtp_server, mails):
    smtp_server.stop()
    mail_worker.deliver_due()
    (mail,) = mails()
    assert mail.state == "retrying"
    assert "ConnectionRefusedError" in mail.last_error
    composed = mail.message
    assert mail.next_attempt_at > utcnow()
    # Not due yet: nothing is claimed.
    assert mail_worker.deliver_due() == 0

    smtp_server.start()
    later = mail.next_attempt_at + timedelta(seconds=1)
    assert mail_worker.deliver_due(now=later) == 1

    (mail,) = mails()
    assert (mail.state, mail.attempts) == ("sent", 2)
    (received,) = smtp_server.handler.received
    # The retry sends the bytes composed for the first attempt.
    assert received.original_content == composed


def test_temporary_reply_is_retried(confirmed, mail_worker, smtp_server, mails):
    smtp_server.handler.reply = "451 4.3.0 Try again later"
    mail_worker.deliver_due()
    (mail,) = mails()
    assert mail.state == "retrying"
    assert mail.last_error.startswith("451")


def test_permanent_reply_fails_cleanly(confirmed, mail_worker, smtp_server, mails, notify_db):
    smtp_server.handler.reply = "550 5.1.1 No such user"
    mail_worker.deliver_due()

    (mail,) = mails()
    assert (mail.state, mail.attempts) == ("failed", 1)
    assert mail.last_error.startswith("550")
    ((routing_key, data),) = outbox(notify_db)
    assert routing_key == "notify.mail.failed"
    assert data["error"].startswith("550")
    # The connection is still usable for the next mail.
    smtp_server.handler.reply = None
    assert mail_worker.deliver_due() == 0


def test_gives_up_after_the_last_attempt(confirmed, mail_worker, smtp_server, mails):
    smtp_server.handler.reply = "421 4.7.0 Busy"
    now = utcnow()
    for _ in range(mail_worker.settings.mail_max_attempts):
        now += timedelta(hours=2)
        mail_worker.deliver_due(now=now)
    (mail,) = mails()
    assert (mail.state, mail.attempts) == ("failed", mail_worker.settings.mail_max_attempts)


def test_sweeper_requeues_mail_stuck_in_sending(
    confirmed, mail_worker, smtp_server, mails, notify_db
):
    with notify_db.transaction() as session:
        mail_worker.claim(session, utcnow())
    assert mails()[0].state == "sending"
    assert mail_worker.sweep() == 0

    later = utcnow() + timedelta(seconds=mail_worker.settings.mail_sending_timeout_seconds + 1)
    assert mail_worker.sweep(now=later) == 1
    assert mail_worker.deliver_due(now=later) == 1
    assert mails()[0].state == "sent"


def test_erasure_confirmation_is_scrubbed_once_sent(
    confirmed, deliver, mail_worker, smtp_server, mails
):
    erased = {
        "event": "todo2024",
        "attendee_id": 1,
        "name": "Anna Muster 1",
        "email": "anna1@example.org",
        "locale": "en",
    }
    deliver("registration.attendee.erased", erased)
    mail_worker.deliver_due()

    assert [m.get("Subject") for m in smtp_server.messages] == ["Your data has been deleted"]
    (confirmation,) = mails(kind="attendee_erased")
    assert confirmation.state == "sent"
    assert confirmation.recipient is None and confirmation.message is None


def test_without_smtp_url_mail_goes_to_a_maildir(
    confirmed, notify_db, notify_config, notify_settings, mails, tmp_path
):
    config = notify_config.with_overrides(smtp_url="", var_dir=tmp_path / "var")
    worker = MailWorker(notify_db, config, notify_settings)
    assert worker.deliver_due() == 1

    box = mailbox.Maildir(tmp_path / "var" / "mail", create=False)
    (message,) = list(box)
    assert message["To"] == "Anna Muster 1 <anna1@example.org>"
    assert mails()[0].state == "sent"


def test_smtp_url_is_parsed():
    transport = SmtpTransport("smtps://user%40x:p%3Ass@mail.example:2465", timeout=5)
    assert (transport.implicit_tls, transport.host, transport.port) == (True, "mail.example", 2465)
    assert (transport.username, transport.password) == ("user@x", "p:ss")
    assert SmtpTransport("smtp://mail.example", timeout=5).port == 25
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpTransport("http://mail.example", timeout=5)


def test_refused_connection_is_temporary():
    transport = SmtpTransport("smtp://127.0.0.1:1", timeout=2)
    with pytest.raises(TemporaryFailure):
        transport.send("a@example.org", "b@example.org", b"Subject: x\r\n\r\nx\r\n")


def test_rate_limit_spaces_sends():
    from services.notify.delivery import RateLimiter

    limiter = RateLimiter(per_second=1000)
    limiter.wait()
    first = limiter.next_at
    limiter.wait()
    assert limiter.next_at == pytest.approx(first + 0.001)
    assert RateLimiter(per_second=0).interval == 0


def test_dropped_idle_connection_is_reopened_without_a_retry(
    confirmed, deliver, ticket_data, mail_worker, smtp_server, mails
):
    assert mail_worker.deliver_due() == 1
    # The server goes away and comes back while the worker keeps its connection.
    smtp_server.stop()
    smtp_server.start()
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=2, ticket_id=2))
    assert mail_worker.deliver_due() == 1

    assert [(m.state, m.attempts) for m in mails()] == [("sent", 1), ("sent", 1)]
    assert [e.rcpt_tos for e in smtp_server.handler.received] == [
        ["anna1@example.org"],
        ["anna2@example.org"],
    ]
