"""How mails are written: subjects that decode exactly, Reply-To, plain text in paragraphs, an
HTML layout that fits a phone, titles that are not wrapped in quotes (issue 14)."""

from __future__ import annotations

import re

import pytest

from services.notify.mails import MAIL_KINDS, Mailer, Recipient, render
from tests.support.notify import parse_mail

GERMAN_TITLE = (
    "Fachkräftesicherung im Ruhrgebiet: Über Ämter, Ökonomie und die „Arbeit“ "
    "von morgen – ein Gespräch über Grenzen, Größe und Übergänge"
)
ASCII_TITLE = (
    "Skills for tomorrow: how Dortmund trains, hires and keeps the people its "
    "companies need in the next decade of structural change"
)
SESSION = {
    "id": 1,
    "title": "„Wer schafft die Arbeit?“",
    "starts": "Montag, 29. April 2024, 18:00 Uhr",
    "ends": "19:00 Uhr",
    "location": "Baseology, Kampstraße 1, 44137 Dortmund",
    "stream_url": "https://todo-dortmund.de/live",
    "url": "https://todo-dortmund.de/programm/1",
    "speakers": ["Eva Beispiel (adesso)"],
    "cancelled": False,
}
CONTEXT = {
    "name": "Anna",
    "event_title": "to:DO – Dortmunds neue Arbeit",
    "manage_url": "https://todo.example/manage/s",
    "feed_url": "https://todo.example/f.ics",
    "webcal_url": "webcal://todo.example/f.ics",
    "session": SESSION,
    "previous": SESSION,
    "changed": ["time"],
    "ticket_status": "confirmed",
    "ticket": {
        "code": "K7QFM2XDR9P",
        "waitlist_position": 3,
        "confirm_url": "https://todo.example/confirm/x",
        "hold_expires": "Montag, 29. April 2024, 12:00 Uhr",
    },
    "tickets": [
        {"status": "confirmed", "code": "K7QFM2XDR9P", "waitlist_position": None},
        {"status": "waitlisted", "code": "AAAABBBBCCC", "waitlist_position": 2},
    ],
    "confirm_url": "https://todo.example/confirm/x",
    "hold_expires": None,
    "reason": "attendee",
    "released_after_minutes": 15,
    "qr_cid": "qr.1",
    "qr_cids": {"K7QFM2XDR9P": "qr.1"},
    "message": {"subject": "Neuigkeiten", "text": "Erster Absatz.\n\nZweiter Absatz."},
    "invited": True,
    "organisation_name": "Bochum",
    "invited_by": "Olga",
    "role_name": "Einlass",
    "url": "https://todo.example/password/x",
    "expires": "1. Juni 2026, 14:00 Uhr",
}
for ticket in CONTEXT["tickets"]:
    ticket["session"] = SESSION
CONTEXT["changes"] = [
    {"session": SESSION, "previous": SESSION, "changed": ["time", "place"], "ticket_status": s}
    for s in ("confirmed", "waitlisted")
] + [
    {
        "session": {**SESSION, "cancelled": True},
        "previous": SESSION,
        "changed": ["status"],
        "ticket_status": "confirmed",
    }
]
TEMPLATES = (*MAIL_KINDS, "booking", "programme_changed")


def compose(mailer: Mailer, email: str, title: str, locale: str = "de") -> bytes:
    context = {**CONTEXT, "session": {**SESSION, "title": title}}
    return mailer.compose(
        kind="ticket_held",
        recipient=Recipient("Anna", email, locale, 1),
        context=context,
        message_id="abc@todo.example",
    )


@pytest.mark.parametrize("email", ["anna@example.org", "jürgen@example.org"])
@pytest.mark.parametrize(
    ("title", "locale", "expected"),
    [
        (GERMAN_TITLE, "de", f"Bitte bestätige deine E-Mail-Adresse: {GERMAN_TITLE}"),
        (ASCII_TITLE, "en", f"Please confirm your email address: {ASCII_TITLE}"),
    ],
)
def test_a_long_subject_decodes_to_exactly_its_text(notify_config, email, title, locale, expected):
    assert len(title) >= 120
    raw = compose(Mailer(notify_config), email, title, locale)

    headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in headers)
    start = next(i for i, line in enumerate(headers) if line.startswith(b"Subject:"))
    end = next(i for i in range(start + 1, len(headers)) if not headers[i].startswith(b" "))
    subject_lines = headers[start:end]
    # Never folded right after the name: that decodes with a leading space.
    assert subject_lines[0].strip() != b"Subject:"
    assert parse_mail(raw)["Subject"] == expected
    if expected.isascii():
        # Plain words, folded at their own spaces.
        assert b"=?" not in b"".join(subject_lines)


def test_replies_go_to_the_reply_to_address_when_there_is_one(notify_config):
    with_reply = Mailer(
        notify_config.with_overrides(mail_reply_to="to:DO Team <team@todo.example>")
    )
    message = parse_mail(compose(with_reply, "anna@example.org", "Titel"))
    assert message["Reply-To"].addresses[0].addr_spec == "team@todo.example"
    assert "Antworte einfach auf diese Nachricht." in message.get_body(("plain",)).get_content()

    message = parse_mail(compose(Mailer(notify_config), "anna@example.org", "Titel"))
    assert message["Reply-To"] is None
    assert message["From"].addresses[0].addr_spec == "noreply@todo-dortmund.de"


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("kind", TEMPLATES)
def test_without_reply_to_no_mail_invites_replies(kind, locale):
    _, text, html = render(kind, locale, CONTEXT, can_reply=False)
    for body in (text, html):
        assert not re.search(r"antworte einfach|just reply|reply to this", body, re.IGNORECASE)


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("kind", TEMPLATES)
def test_plain_text_keeps_its_paragraphs_apart(kind, locale):
    _, text, _ = render(kind, locale, CONTEXT)
    # The parts that follow a block start a paragraph of their own.
    for line in (
        "Bitte bestätige noch",
        "Please confirm your email",
        "Im Livestream bist",
        "You can still watch",
        "Jetzt:",
        "Now:",
        "Falls du doch",
        "If you cannot",
        "Du kannst die Session",
        "You can also follow",
    ):
        for match in re.finditer(rf"^{re.escape(line)}", text, re.MULTILINE):
            before = text[: match.start()]
            assert before.endswith("\n\n"), f"{kind}: no blank line before {line!r}"
    # The session block is set off from the sentence before it (or follows its heading).
    for match in re.finditer(rf"^{re.escape(SESSION['title'])}$", text, re.MULTILINE):
        assert text[: match.start()].endswith(("\n\n", ":\n")), kind
    assert "\n\n\n" not in text


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("kind", TEMPLATES)
def test_html_mail_is_fluid_up_to_600_pixels(kind, locale):
    _, _, html = render(kind, locale, CONTEXT)
    assert 'width="600"' not in html
    assert "width:100%;max-width:600px" in html
    for image in re.findall(r"<img [^>]*>", html):
        assert "max-width:100%" in image and "height:auto" in image


@pytest.mark.parametrize("locale", ["de", "en"])
def test_a_title_with_quotes_is_not_quoted_again(locale):
    _, text, html = render("organiser_message", locale, CONTEXT)
    for body in (text, html):
        assert "„„" not in body and "““" not in body and "“„" not in body
