"""The delivery worker against a real SMTP server (aiosmtpd) and the Maildir default."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import mailbox
from datetime import timedelta

import pytest
from sqlalchemy import select

from bench.common import SmtpSink
from services.notify.delivery import (
    SMTPUTF8_MISSING,
    WORKER_DIED,
    MailWorker,
    SmtpTransport,
    TemporaryFailure,
)
from services.notify.models import OutboxMessage, OutgoingMail
from shared.db import utcnow
from tests.support.notify import assert_valid_calendar


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
    deliver("registration.attendee.erased", {"event": "todo2024", "attendee_id": 1})
    mail_worker.deliver_due()

    # To the address and in the language of notify's copy of the attendee.
    assert [m.get("Subject") for m in smtp_server.messages] == ["Deine Daten sind gelöscht"]
    assert smtp_server.handler.received[0].rcpt_tos == ["anna1@example.org"]
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
    with pytest.raises(ValueError, match=r"http://user:\*\*\*@mail.example") as refused:
        SmtpTransport("http://user:pw-s3cret@mail.example", timeout=5)
    assert "s3cret" not in str(refused.value)


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


def test_a_mail_that_cannot_be_composed_fails_and_the_others_go_out(
    confirmed, deliver, ticket_data, mail_worker, smtp_server, mails, notify_db
):
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=2, ticket_id=2))
    with notify_db.transaction() as session:
        broken = session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).first()
        # Content the templates cannot render, as a bug or an unforeseen input would leave it.
        broken.content = {**broken.content, "context": {}}

    assert mail_worker.deliver_due() == 2

    with notify_db.transaction() as session:
        rows = session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
        assert [(m.state, m.attempts) for m in rows] == [("failed", 1), ("sent", 1)]
        assert "could not be composed" in rows[0].last_error
    assert [e.rcpt_tos for e in smtp_server.handler.received] == [["anna2@example.org"]]
    assert [key for key, _ in outbox(notify_db)] == ["notify.mail.failed", "notify.mail.sent"]


def test_umlaut_before_the_at_fails_with_a_reason_where_smtputf8_is_missing(
    deliver, release_data, ticket_data, notify_db, notify_config, notify_settings, mails
):
    deliver("schedule.release.published", release_data(1))
    deliver("registration.ticket.confirmed", ticket_data(email="jürgen.müller@example.de"))
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=2, ticket_id=2))

    with SmtpSink(smtputf8=False) as sink:
        config = notify_config.with_overrides(smtp_url=sink.url)
        worker = MailWorker(notify_db, config, notify_settings)
        assert worker.deliver_due() == 2
        worker.transport.close()

    assert [(m.state, m.last_error) for m in mails()] == [
        ("failed", SMTPUTF8_MISSING),
        ("sent", None),
    ]
    assert outbox(notify_db)[0][1]["error"] == SMTPUTF8_MISSING
    assert list(sink.per_recipient()) == ["anna2@example.org"]


def test_umlaut_and_idn_addresses_land_in_the_maildir(
    deliver, release_data, ticket_data, notify_db, notify_config, notify_settings, mails, tmp_path
):
    deliver("schedule.release.published", release_data(1))
    addresses = {1: "jürgen.müller@example.de", 2: "anna@müller.example"}
    for n, address in addresses.items():
        deliver("registration.ticket.confirmed", ticket_data(n, n, email=address))
    config = notify_config.with_overrides(smtp_url="", var_dir=tmp_path / "var")

    assert MailWorker(notify_db, config, notify_settings).deliver_due() == 2

    assert [m.state for m in mails()] == ["sent", "sent"]
    box = mailbox.Maildir(tmp_path / "var" / "mail", create=False)
    # Raw UTF-8 headers (RFC 6532) for the umlaut: parsed from text, not bytes.
    messages = [
        email.message_from_string(box.get_bytes(key).decode(), policy=email.policy.default)
        for key in box.iterkeys()
    ]
    to = {message["To"].addresses[0].addr_spec for message in messages}
    assert to == {"jürgen.müller@example.de", "anna@xn--mller-kva.example"}


def test_a_refused_recipient_is_recorded_and_logged_without_the_address(
    confirmed, mail_worker, smtp_server, mails, notify_db, caplog
):
    smtp_server.handler.reply = "550 5.1.1 <anna1@example.org>: Recipient address rejected"
    with caplog.at_level(logging.DEBUG):
        mail_worker.deliver_due()

    (mail,) = mails()
    assert mail.state == "failed"
    assert mail.last_error == "550 5.1.1 <address>: Recipient address rejected"
    assert outbox(notify_db)[0][1]["error"] == mail.last_error
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("services.")]
    assert any(f"mail {mail.id}" in line for line in ours)
    assert not [line for line in ours if "anna" in line]


def test_sweeper_fails_a_mail_whose_worker_died_on_every_attempt(
    confirmed, mail_worker, smtp_server, mails, notify_db
):
    timeout = timedelta(seconds=mail_worker.settings.mail_sending_timeout_seconds + 1)
    now = utcnow()
    for _ in range(mail_worker.settings.mail_max_attempts):
        # Claimed, then the worker is killed before it records anything.
        with notify_db.transaction() as session:
            assert mail_worker.claim(session, now)
        now += timeout
        mail_worker.sweep(now=now)

    (mail,) = mails()
    assert (mail.state, mail.last_error) == ("failed", WORKER_DIED)
    assert mail_worker.deliver_due(now=now + timeout) == 0
    assert smtp_server.handler.received == []
    assert [key for key, _ in outbox(notify_db)] == ["notify.mail.failed"]
