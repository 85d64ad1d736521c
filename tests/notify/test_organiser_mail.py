"""The mail with the one-time link to set an organiser's password: through the consumer path on
PostgreSQL to the real SMTP server (aiosmtpd), in German and English, once per message, and with
the link gone from the database once it is sent."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from services.notify.mails import Mailer
from services.notify.models import OutboxMessage, OutgoingMail, ProcessedMessage
from services.notify.organisers import send_password_link
from shared.consumer import Outcome
from shared.messages import MessageError, build_envelope
from shared.permissions import ROLES
from tests.support.notify import PASSWORD_LINK_URL, parse_mail, password_link_data

PASSWORD_LINK = "schedule.organiser.password_link"
SECRET = "s3cr3t-0123456789abcdef"
# 2026-06-01T12:00:00Z in Berlin (summer time).
EXPIRES = {"de": "Montag, 1. Juni 2026, 14:00 Uhr", "en": "Monday, 1 June 2026, 14:00"}


def bodies(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a received mail, decoded."""
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


def stored_mails(notify_db) -> list[OutgoingMail]:
    with notify_db.transaction() as session:
        rows = list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
        session.expunge_all()
    return rows


def stored_text(notify_db) -> str:
    """Everything notify keeps about mails and messages, as one text to search."""
    with notify_db.transaction() as session:
        parts = []
        for mail in session.scalars(select(OutgoingMail)):
            for column in OutgoingMail.__table__.columns:
                value = getattr(mail, column.key)
                parts.append(value.decode() if isinstance(value, bytes) else str(value))
        parts += [row.body for row in session.scalars(select(OutboxMessage))]
        parts += [str(row.message_id) for row in session.scalars(select(ProcessedMessage))]
    return "\n".join(parts)


def test_invitation_in_german_names_organisation_role_link_and_expiry(
    deliver, mail_worker, smtp_server
):
    assert deliver(PASSWORD_LINK, password_link_data()) == Outcome.HANDLED
    assert mail_worker.deliver_due() == 1

    (received,) = smtp_server.handler.received
    assert received.rcpt_tos == ["ida@example.org"]
    (message,) = smtp_server.messages
    assert (
        message["Subject"] == "Willkommen bei Bochum – Arbeit der Zukunft: Lege dein Passwort fest"
    )
    assert message["To"].addresses[0].display_name == "ida"
    assert message["Content-Language"] == "de"
    plain, html = bodies(message)
    assert (
        "willkommen bei Bochum – Arbeit der Zukunft: Olga Owner hat dich als Einlass eingeladen. "
        "Lege hier dein Passwort fest:" in plain
    )
    assert PASSWORD_LINK_URL in plain
    assert f"Der Link gilt bis {EXPIRES['de']} und nur einmal." in plain
    assert "Olga Owner hat dich als Einlass eingeladen" in html
    # In the attribute, & is written as an HTML entity.
    assert f'href="{PASSWORD_LINK_URL.replace("&", "&amp;")}"' in html
    assert EXPIRES["de"] in html
    # Nothing of an attendee's mail: no manage link, no calendar feed, no invitation, no QR.
    for text in (plain, html):
        assert "webcal" not in text and "Buchung" not in text and "Kalender" not in text
    assert {part.get_content_type() for part in message.walk()} == {
        "multipart/alternative",
        "text/plain",
        "text/html",
    }


def test_new_link_in_english(deliver, mail_worker, smtp_server):
    deliver(
        PASSWORD_LINK,
        password_link_data(
            locale="en", invited=False, role="registrations", email="jo@example.org"
        ),
    )
    assert mail_worker.deliver_due() == 1

    (message,) = smtp_server.messages
    assert smtp_server.handler.received[0].rcpt_tos == ["jo@example.org"]
    assert message["Subject"] == (
        "Your new link to set your password at Bochum – Arbeit der Zukunft"
    )
    assert message["Content-Language"] == "en"
    plain, html = bodies(message)
    for text in (plain, html):
        assert "Bochum – Arbeit der Zukunft (role: Registrations), sent by Olga Owner" in text
        assert f"valid until {EXPIRES['en']} (Berlin time) and only once" in text
        assert "invited" not in text
    assert PASSWORD_LINK_URL in plain
    assert PASSWORD_LINK_URL.replace("&", "&amp;") in html


def test_new_link_in_german_is_not_a_welcome(deliver, mails):
    deliver(PASSWORD_LINK, password_link_data(invited=False, role="owner"))

    message = parse_mail(mails()[0].message)
    assert message["Subject"] == "Dein neuer Link zum Passwort bei Bochum – Arbeit der Zukunft"
    plain, _ = bodies(message)
    assert "dein neuer Link zum Passwort für dein Konto bei Bochum" in plain
    assert "(Rolle: Leitung)" in plain and "Willkommen" not in plain


ROLE_NAMES_BY_LOCALE = {
    "de": {
        "owner": "Leitung",
        "programme": "Programm",
        "registrations": "Anmeldungen",
        "door": "Einlass",
        "viewer": "Einsicht",
    },
    "en": {
        "owner": "Owner",
        "programme": "Programme",
        "registrations": "Registrations",
        "door": "At the door",
        "viewer": "Viewer",
    },
}


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_is_named_in_both_languages(deliver, mails, locale, role):
    deliver(PASSWORD_LINK, password_link_data(locale=locale, role=role))

    plain, html = bodies(parse_mail(mails()[0].message))
    name = ROLE_NAMES_BY_LOCALE[locale][role]
    assert name in plain and name in html


def test_a_message_handled_twice_mails_once(
    deliver, notify_db, notify_config, mail_worker, smtp_server
):
    assert deliver(PASSWORD_LINK, password_link_data()) == Outcome.HANDLED
    envelope = deliver.last_envelope
    # Redelivered by the broker: the processed message is recognised.
    assert deliver(PASSWORD_LINK, password_link_data(), envelope=envelope) == Outcome.DUPLICATE
    # Handled again after its processed record is gone: the mail's cause is recognised.
    with notify_db.transaction() as session:
        again = send_password_link(
            session, envelope.data, mailer=Mailer(notify_config), cause_message_id=envelope.id
        )
    assert again is None

    assert mail_worker.deliver_due() == 1
    assert mail_worker.deliver_due() == 0
    assert [e.rcpt_tos for e in smtp_server.handler.received] == [["ida@example.org"]]
    (mail,) = stored_mails(notify_db)
    assert (mail.kind, mail.state, mail.cause_message_id) == (
        "organiser_password_link",
        "sent",
        envelope.id,
    )


def test_two_messages_for_the_same_account_are_two_mails(deliver, mail_worker, smtp_server):
    # An owner sending a new link: a new message with a new link, mailed again.
    deliver(PASSWORD_LINK, password_link_data())
    deliver(PASSWORD_LINK, password_link_data(invited=False))

    assert mail_worker.deliver_due() == 2
    assert [m["Subject"].split(" ")[0] for m in smtp_server.messages] == ["Willkommen", "Dein"]


def test_the_link_is_gone_from_the_database_once_sent(
    deliver, notify_db, mail_worker, smtp_server, caplog
):
    # notify's own log (the test SMTP server logs every line it receives).
    caplog.set_level(logging.DEBUG, logger="services")
    caplog.set_level(logging.DEBUG, logger="shared")
    deliver(PASSWORD_LINK, password_link_data())
    # Until it is sent, the mail's content holds the link (the worker composes from it).
    assert SECRET in stored_text(notify_db)

    assert mail_worker.deliver_due() == 1

    plain, _ = bodies(smtp_server.messages[0])
    assert SECRET in plain
    (mail,) = stored_mails(notify_db)
    assert mail.state == "sent" and mail.sent_at is not None
    assert (mail.recipient, mail.content, mail.message) == (None, None, None)
    text = stored_text(notify_db)
    assert SECRET not in text and "ida@example.org" not in text
    ours = [r for r in caplog.records if r.name.startswith(("services.", "shared."))]
    assert not any(SECRET in r.getMessage() for r in ours)


def test_a_refused_link_mail_is_scrubbed_too(deliver, notify_db, mail_worker, smtp_server):
    smtp_server.handler.reply = "550 5.1.1 Recipient address rejected"
    deliver(PASSWORD_LINK, password_link_data())

    mail_worker.deliver_due()

    (mail,) = stored_mails(notify_db)
    assert mail.state == "failed" and mail.last_error.startswith("550")
    assert (mail.recipient, mail.content, mail.message) == (None, None, None)
    assert SECRET not in stored_text(notify_db)


@pytest.mark.parametrize(
    "email",
    ["not an address", "ida@@example.org", "ida@example.org\r\nBcc: victim@evil.example"],
)
def test_an_address_that_cannot_be_written_fails_the_mail_not_the_consumer(
    deliver, notify_db, mail_worker, smtp_server, email
):
    assert deliver(PASSWORD_LINK, password_link_data(email=email)) == Outcome.HANDLED
    deliver(PASSWORD_LINK, password_link_data(account="jo", email="jo@example.org"))

    assert mail_worker.deliver_due() == 2

    broken, fine = stored_mails(notify_db)
    assert broken.state == "failed" and "could not be composed" in broken.last_error
    assert fine.state == "sent"
    assert [e.rcpt_tos for e in smtp_server.handler.received] == [["jo@example.org"]]
    assert SECRET not in stored_text(notify_db)
    with notify_db.transaction() as session:
        outcomes = [row.routing_key for row in session.scalars(select(OutboxMessage))]
    assert sorted(outcomes) == ["notify.mail.failed", "notify.mail.sent"]


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,<script>", "/organiser/password"]
)
def test_a_link_that_is_not_a_web_address_is_no_message(url):
    """The message schema refuses it where it is published (and where it is read)."""
    with pytest.raises(MessageError, match="set_password_url"):
        build_envelope(PASSWORD_LINK, password_link_data(set_password_url=url), None)


def test_hostile_names_reach_neither_headers_nor_html(deliver, mail_worker, smtp_server):
    deliver(
        PASSWORD_LINK,
        password_link_data(
            account="Eve\r\nBcc: victim@evil.example\r\nX-Evil: 1 <script>alert(1)</script>",
            organisation_name=(
                "Evil\r\nX-Evil: 2\r\nBcc: victim2@evil.example "
                "=?utf-8?q?X=0D=0ABcc:_victim3@evil.example?= <script>alert(2)</script>"
            ),
            invited_by='Mallory <img src=x onerror="alert(3)">',
        ),
    )
    assert mail_worker.deliver_due() == 1

    (received,) = smtp_server.handler.received
    assert received.rcpt_tos == ["ida@example.org"]
    raw = received.original_content
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Evil" not in headers
    message = parse_mail(raw)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["Subject"].startswith("Willkommen bei Evil X-Evil: 2 Bcc: victim2@evil.example")
    assert "victim3" in message["Subject"]
    (to,) = message["To"].addresses
    assert to.addr_spec == "ida@example.org"
    assert "\n" not in to.display_name and to.display_name.startswith("Eve Bcc:")
    _, html = bodies(message)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "Mallory &lt;img src=x onerror=&#34;alert(3)&#34;&gt;" in html
