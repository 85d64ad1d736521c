"""Tickets to print or save, behind the manage link: the print page and the PDF (its QR code is
read back as the door's scanner would read it, its text with umlauts as a PDF reader would);
the calendar links beside the tickets; the invalid link that offers to send the link again."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy import select, update

from services.registration.models import Attendee, OutboxMessage, Ticket
from services.registration.settings import RegistrationSettings
from services.registration.tickets_pdf import PrintedTicket, ticket_pdf, when_text
from shared.ticket_codes import printed
from tests.support.registration import EVENT, manage_token, session_info, ticket_of

BERLIN = ZoneInfo("Europe/Berlin")
HOLDER = "Jürgen Öztürk-Şahin"
TITLE = "Brücken bauen: Arbeit für Ältere"


# -- reading a PDF back ---------------------------------------------------------------------


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Every object of the PDF: its dictionary and its decoded stream (if it has one)."""
    objects = {}
    position = 0
    while found := re.compile(rb"(\d+) 0 obj\s*").search(pdf, position):
        end = pdf.index(b"endobj", found.end())
        start_of_stream = pdf.find(b"stream", found.end(), end)
        head = pdf[found.end() : end if start_of_stream < 0 else start_of_stream]
        data = None
        if start_of_stream >= 0:
            length = int(re.search(rb"/Length (\d+)", head).group(1))
            begin = start_of_stream + len(b"stream")
            begin += 2 if pdf[begin : begin + 2] == b"\r\n" else 1
            data = pdf[begin : begin + length]
            end = pdf.index(b"endobj", begin + length)
            filters = re.search(rb"/Filter\s*\[?([^\]>]*)", head)
            names = filters.group(1).split() if filters else []
            if b"/ASCII85Decode" in names:
                data = base64.a85decode(data.strip().removesuffix(b"~>"))
            if b"/FlateDecode" in names:
                data = zlib.decompress(data)
        objects[int(found.group(1))] = (head, data)
        position = end
    return objects


def _content(objects) -> bytes:
    (page,) = [head for head, _ in objects.values() if re.search(rb"/Type /Page\b", head)]
    return objects[int(re.search(rb"/Contents (\d+) 0 R", page).group(1))][1]


def _unescape(literal: bytes) -> bytes:
    """A PDF literal string's bytes (octal and character escapes)."""
    out = bytearray()
    index = 0
    while index < len(literal):
        byte = literal[index]
        if byte != ord("\\"):
            out.append(byte)
            index += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", literal[index + 1 : index + 4])
        if octal:
            out.append(int(octal.group(0), 8))
            index += 1 + len(octal.group(0))
        else:
            escaped = literal[index + 1 : index + 2]
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(escaped, escaped)
            index += 2
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """The page's text, one line per text object, decoded through the fonts' ToUnicode maps."""
    objects = _objects(pdf)
    maps = {}
    for head, _ in objects.values():
        name = re.search(rb"/Name /(\S+)", head)
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", head)
        if name and to_unicode:
            cmap = objects[int(to_unicode.group(1))][1]
            maps[name.group(1)] = {
                int(code, 16): chr(int(char, 16))
                for code, char in re.findall(rb"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]{4})>", cmap)
            }
    lines, font = [], None
    for match in re.finditer(
        rb"/(\S+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", _content(objects), re.S
    ):
        if match.group(1):
            font = match.group(1)
        else:
            lines.append("".join(maps[font][byte] for byte in _unescape(match.group(2))))
    return "\n".join(lines)


def pdf_qr_codes(pdf: bytes) -> list[str]:
    """The page's filled rectangles (the QR code's modules) drawn as an image, then read by
    the same decoder the tests of the mails use."""
    rects = [
        tuple(map(float, found))
        for found in re.findall(
            rb"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re", _content(_objects(pdf))
        )
    ]
    assert rects, "no QR code on the page"
    left = min(x for x, _, _, _ in rects) - 20
    top = max(y + h for _, y, _, h in rects) + 20
    right = max(x + w for x, _, w, _ in rects) + 20
    bottom = min(y for _, y, _, _ in rects) - 20
    scale = 4
    image = Image.new("L", (int((right - left) * scale), int((top - bottom) * scale)), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h in rects:
        draw.rectangle(
            [
                (x - left) * scale,
                (top - y - h) * scale,
                (x + w - left) * scale - 1,
                (top - y) * scale - 1,
            ],
            fill=0,
        )
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


# -- the domain function --------------------------------------------------------------------


def printed_ticket(**changes) -> PrintedTicket:
    values = {
        "event": "to:DO 2024",
        "title": TITLE,
        "starts": datetime(2030, 5, 6, 13, 0, tzinfo=BERLIN),
        "ends": datetime(2030, 5, 6, 14, 0, tzinfo=BERLIN),
        "venue": "Baseology",
        "holder": HOLDER,
        "address": "jürgen@bücher.example",
        "code": "K7QFM2XDR9PA",
        "printed_code": "K7QF-M2XD-R9PA",
        "locale": "de",
        "labels": {
            "document": "Ticket",
            "holder": "Name",
            "address": "E-Mail-Adresse",
            "code": "Ticket-Code",
            "hint": "Zeig dieses Ticket am Einlass.",
        },
    }
    return PrintedTicket(**(values | changes))


def test_the_pdf_has_every_fact_umlauts_included_and_a_qr_code_that_scans():
    pdf = ticket_pdf(printed_ticket())
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for fact in (
        "to:DO 2024",
        "Montag, 6. Mai 2030, 13:00–14:00 Uhr",
        "Baseology",
        HOLDER,
        "jürgen@bücher.example",
        "K7QF-M2XD-R9PA",
        "Zeig dieses Ticket am Einlass.",
    ):
        assert fact in text, fact
    # The title may be wrapped; its words are all there.
    assert all(word in text for word in TITLE.split())
    assert pdf_qr_codes(pdf) == ["K7QFM2XDR9PA"]
    # The same ticket gives the same bytes.
    assert ticket_pdf(printed_ticket()) == pdf


def test_a_very_long_title_and_name_are_cut_not_spilled():
    pdf = ticket_pdf(printed_ticket(title="Überlänge " * 60, holder="Ä" * 300))
    text = pdf_text(pdf)
    assert text.count("Überlänge") < 60 and "…" in text
    assert pdf_qr_codes(pdf) == ["K7QFM2XDR9PA"]


def test_times_are_the_event_time_zones_in_both_languages():
    # 11:00 UTC is 13:00 in Dortmund in May (summer time) and 12:00 in winter.
    summer = datetime(2030, 5, 6, 11, 0, tzinfo=ZoneInfo("UTC")).astimezone(BERLIN)
    winter = datetime(2030, 1, 7, 11, 0, tzinfo=ZoneInfo("UTC")).astimezone(BERLIN)
    hour = summer.replace(hour=14)
    assert when_text(summer, hour, "de") == "Montag, 6. Mai 2030, 13:00–14:00 Uhr"
    assert when_text(summer, hour, "en") == "Monday 6 May 2030, 13:00–14:00"
    assert when_text(winter, winter.replace(hour=13), "de").endswith("12:00–13:00 Uhr")


# -- the pages ------------------------------------------------------------------------------


@pytest.fixture
def booked(registration_db, publish_release, register_one, make_app):
    """Jürgen has a seat of session 1 and waits for session 2 (its one seat is Anna's)."""
    publish_release(registration_db, 1, [session_info(1), session_info(2, capacity=1)])
    register_one(registration_db, "anna@example.org", [2], name="Anna")
    register_one(registration_db, "juergen@example.org", [1, 2], name=HOLDER)
    client = make_app(registration_db).test_client()
    return registration_db, client, manage_token(registration_db, "juergen@example.org")


def test_the_print_page_shows_the_ticket_in_german_and_english(booked):
    db, client, token = booked
    ticket = ticket_of(db, "juergen@example.org", 1)
    page = client.get(f"/{EVENT}/manage/{token}/tickets/{ticket.id}")
    assert page.status_code == 200
    html = page.text
    assert "Dein Ticket" in html and "Session 1" in html and HOLDER in html
    assert "juergen@example.org" in html and f"<code>{printed(ticket.code)}</code>" in html
    assert re.search(r'<svg [^>]*class="qr"', html)
    assert "Ticket drucken" in html and "ticket-print-page" in html
    assert f"/tickets/{ticket.id}.pdf" in html
    # The session's time in the event's time zone, as the PDF writes it, and where to go.
    assert "Uhr" in html and "Baseology, Kampstraße 1, 44137 Dortmund" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    english = client.get(f"/{EVENT}/manage/{token}/tickets/{ticket.id}?lang=en").text
    assert "Your ticket" in english and "Session 1 (en)" in english and "Print ticket" in english


def test_the_pdf_ticket_behind_the_manage_link(booked):
    db, client, token = booked
    ticket = ticket_of(db, "juergen@example.org", 1)
    response = client.get(f"/{EVENT}/manage/{token}/tickets/{ticket.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data)
    assert HOLDER in text and "juergen@example.org" in text and "Session 1" in text
    assert "Ticket-Code" in text and printed(ticket.code) in text
    assert "Baseology, Kampstraße 1, 44137\nDortmund" in text  # wrapped beside the QR code
    assert pdf_qr_codes(response.data) == [ticket.code]
    english = pdf_text(client.get(f"/{EVENT}/manage/{token}/tickets/{ticket.id}.pdf?lang=en").data)
    assert "Session 1 (en)" in english and "Email address" in english


def test_the_name_on_the_ticket_is_the_tickets_own(booked):
    db, client, token = booked
    ticket = ticket_of(db, "juergen@example.org", 1)
    with db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket.id).values(name="Ayşe Müller"))
    text = pdf_text(client.get(f"/{EVENT}/manage/{token}/tickets/{ticket.id}.pdf").data)
    assert "Ayşe Müller" in text


def test_no_ticket_to_print_without_a_seat_or_of_someone_else(booked):
    db, client, token = booked
    waiting = ticket_of(db, "juergen@example.org", 2)
    anna = ticket_of(db, "anna@example.org", 2)
    for ticket_id in (waiting.id, anna.id, 2**31 - 1, 2**31, 10**30):
        for suffix in ("", ".pdf"):
            response = client.get(f"/{EVENT}/manage/{token}/tickets/{ticket_id}{suffix}")
            assert response.status_code == 404, (ticket_id, suffix)
    assert anna.code not in client.get(f"/{EVENT}/manage/{token}/tickets/{anna.id}").text
    # A cancelled seat has no ticket either.
    seated = ticket_of(db, "juergen@example.org", 1)
    client.post(f"/{EVENT}/manage/{token}/tickets/{seated.id}/cancel")
    assert client.get(f"/{EVENT}/manage/{token}/tickets/{seated.id}.pdf").status_code == 404


@pytest.mark.parametrize("token", ["wrong", "x" * 5000, "%ED%A0%80", "%3Cscript%3E", "ü"])
def test_a_hostile_token_gets_the_invalid_link_page(booked, token):
    _db, client, _token = booked
    for path in ("", "/tickets/1", "/tickets/1.pdf", "/erase"):
        response = client.get(f"/{EVENT}/manage/{token}{path}")
        assert response.status_code == 404, (token, path)
        assert "Link ungültig" in response.text and "<script>" not in response.text
    # A slash in the token leads nowhere.
    assert client.get(f"/{EVENT}/manage/..%2F..%2Fadmin").status_code == 404


@pytest.mark.parametrize("token", ["a%00b", "%00"])
def test_a_token_with_nul_is_refused_readably(booked, token):
    _db, client, _token = booked
    for path in ("", "/tickets/1.pdf"):
        response = client.get(f"/{EVENT}/manage/{token}{path}")
        assert response.status_code == 400, (token, path)
        assert "nicht gespeichert werden" in response.text or "cannot be stored" in response.text


def test_the_manage_page_links_tickets_and_calendars(booked):
    db, client, token = booked
    html = client.get(f"/{EVENT}/manage/{token}").text
    seated = ticket_of(db, "juergen@example.org", 1)
    waiting = ticket_of(db, "juergen@example.org", 2)
    assert f"/manage/{token}/tickets/{seated.id}" in html
    assert f"/tickets/{seated.id}.pdf" in html and f"/tickets/{waiting.id}.pdf" not in html
    assert "Ticket drucken" in html and "Ticket als PDF" in html
    # Each session's .ics on the schedule service, the personal and the whole programme's feed.
    schedule = re.search(r'href="(http://[^"]+)/todo2024/sessions/1\.ics"', html).group(1)
    assert f'href="{schedule}/todo2024/sessions/2.ics"' in html
    assert re.search(r'href="webcal://[^"]+/todo2024/calendar/personal/[^"]+\.ics"', html)
    assert re.search(r'href="webcal://[^"]+/todo2024/calendar\.ics"', html)


# -- the invalid link -----------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_an_invalid_link_offers_to_send_the_link_again(booked):
    db, client, _token = booked
    page = client.get(f"/{EVENT}/manage/no-such-token")
    assert page.status_code == 404
    html = page.text
    assert "Link ungültig" in html and "Schick mir meinen Link noch einmal" in html
    assert f'action="/{EVENT}/manage"' in html and 'name="email"' in html
    assert "no-such-token" not in html.split("<main", 1)[1]

    # The form is the one of /{event}/manage: the same answer, the link to the address only.
    token = CSRF.search(html).group(1)
    before = _link_requests(db)
    sent = client.post(
        f"/{EVENT}/manage", data={"csrf_token": token, "email": "Juergen@Example.org"}
    )
    assert sent.status_code == 303
    answer = client.get(sent.headers["Location"]).text
    assert "Wenn diese Adresse angemeldet ist" in answer
    assert _link_requests(db) == before + 1
    nobody = client.post(f"/{EVENT}/manage", data={"csrf_token": token, "email": "x@example.org"})
    assert nobody.status_code == 303 and _link_requests(db) == before + 1
    english = client.get(f"/{EVENT}/manage/no-such-token?lang=en")
    assert english.status_code == 404 and "Send me my link again" in english.text
    assert f'action="/{EVENT}/manage?lang=en"' in english.text


def test_an_expired_link_after_erasure_offers_the_form_too(booked):
    _db, client, token = booked
    client.post(f"/{EVENT}/manage/{token}/erase")
    page = client.get(f"/{EVENT}/manage/{token}")
    assert page.status_code == 404 and 'name="email"' in page.text


def test_an_unknown_event_with_a_bad_link_is_a_plain_404(booked):
    _db, client, _token = booked
    response = client.get("/no-event/manage/no-such-token")
    assert response.status_code == 404
    assert 'name="email"' not in response.text


def test_asking_again_from_the_invalid_link_page_is_rate_limited(booked, make_app):
    db, _client, _token = booked
    limited = RegistrationSettings(rate_limit_per_ip="1000/minute", rate_limit_per_email="1/minute")
    client = make_app(db, limited).test_client()
    token = CSRF.search(client.get(f"/{EVENT}/manage/expired").text).group(1)
    data = {"csrf_token": token, "email": "juergen@example.org"}
    answers = [client.post(f"/{EVENT}/manage", data=data).status_code for _ in range(2)]
    assert answers == [303, 429]


def _link_requests(db) -> int:
    with db.transaction() as session:
        return len(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.routing_key == "registration.attendee.link_requested"
                )
            ).all()
        )


def test_held_tickets_print_too(booked):
    db, client, token = booked
    ticket = ticket_of(db, "juergen@example.org", 1)
    with db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket.id).values(status="held"))
        assert session.scalar(select(Attendee.name).where(Attendee.email == "juergen@example.org"))
    assert client.get(f"/{EVENT}/manage/{token}/tickets/{ticket.id}.pdf").status_code == 200
