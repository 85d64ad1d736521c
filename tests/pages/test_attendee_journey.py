"""The attendee's journey after the form, in a real browser against the platform as `make run`
starts it: the confirmation offers each session's calendar file and the whole programme (never
the personal feed), the manage link (read from the registration service's database, as only the
mail carries it) leads to a ticket to print and a PDF whose QR code scans, and an invalid link
offers to send the link again. German and English, phone and desktop, axe-core.

Screenshots go to `artifacts/screenshots/journey-*.png` (git-ignored).
"""

from __future__ import annotations

import io
import re
import urllib.request

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.support.pages import (
    DESKTOP,
    EVENT,
    PHONE,
    PROGRAMME,
    platform_of,
    screenshot,
    serious_violations,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOLDER = "Jürgen Öztürk"
EMAIL = "juergen@example.org"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    with platform_of(tmp_path_factory.mktemp("journey"), PROGRAMME) as running:
        yield running


def manage_token(platform, email: str) -> str:
    """The manage link's token, as only the attendee's mail carries it."""
    engine = create_engine(platform.env["REGISTRATION_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT manage_token FROM attendees WHERE email = :email"), {"email": email}
            ).scalar_one()
    finally:
        engine.dispose()


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get_content_type(), response.read()


def decoded_qr(locator) -> list[str]:
    image = Image.open(io.BytesIO(locator.screenshot()))
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def test_register_add_to_calendar_and_print_the_ticket(platform, new_page):
    ids = platform.session_ids()
    registration = platform.url("registration")
    problems = {}

    # Register through the form.
    page = new_page(viewport=PHONE)
    page.goto(f"{registration}/{EVENT}/register?sessions={ids['opening']},{ids['care']}")
    page.get_by_role("textbox", name="Name", exact=True).fill(HOLDER)
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Ich willige ein").check()
    page.get_by_role("button", name="Jetzt anmelden").click()
    expect(page.get_by_role("heading", name="Danke für deine Anmeldung")).to_be_visible()

    # Add to calendar: one .ics per session on the schedule service, the whole programme.
    opening_ics = page.get_by_role("link", name=re.compile("^In den Kalender.*Eröffnung"))
    expect(opening_ics).to_have_attribute(
        "href", f"{platform.url('schedule')}/{EVENT}/sessions/{ids['opening']}.ics"
    )
    expect(page.get_by_role("link", name=re.compile("^In den Kalender.*Pflege"))).to_be_visible()
    status, kind, body = fetch(opening_ics.get_attribute("href"))
    assert status == 200 and kind == "text/calendar" and b"BEGIN:VEVENT" in body
    whole = page.get_by_role("link", name="Das ganze Programm abonnieren")
    expect(whole).to_have_attribute(
        "href", "webcal://" + platform.url("notify").split("://")[1] + f"/{EVENT}/calendar.ics"
    )
    # Never the personal feed nor the manage link: whoever registered may not own the address.
    assert "/calendar/personal/" not in page.content() and "/manage/" not in page.content()
    screenshot(page, "journey-confirmation-phone")
    problems["confirmation"] = serious_violations(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "journey-confirmation-desktop")

    # The manage link: the ticket to print.
    token = manage_token(platform, EMAIL)
    page.set_viewport_size(PHONE)
    page.goto(f"{registration}/{EVENT}/manage/{token}")
    seat = page.locator(".ticket", has_text="Eröffnung der Browserwoche")
    expect(seat.get_by_role("link", name=re.compile("^In den Kalender"))).to_be_visible()
    screenshot(page, "journey-manage-phone")
    problems["manage"] = serious_violations(page)
    seat.get_by_role("link", name=re.compile("^Ticket drucken")).click()
    expect(page.get_by_role("heading", name="Dein Ticket")).to_be_visible()
    ticket = page.locator(".ticket-print")
    expect(ticket).to_contain_text(HOLDER)
    expect(ticket).to_contain_text(EMAIL)
    expect(ticket).to_contain_text("Montag, 6. Mai 2030, 13:00–14:00 Uhr")
    expect(ticket).to_contain_text("Baseology")
    expect(page.get_by_role("button", name="Ticket drucken")).to_be_visible()
    code = ticket.locator("code").inner_text().replace("-", "")
    assert decoded_qr(ticket.locator("svg.qr")) == [code]
    screenshot(page, "journey-ticket-phone")
    problems["ticket"] = serious_violations(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "journey-ticket-desktop")
    # Printed: the ticket alone, without the site's header, footer and buttons.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Ticket drucken")).to_be_hidden()
    expect(ticket).to_be_visible()
    assert decoded_qr(ticket.locator("svg.qr")) == [code]
    screenshot(page, "journey-ticket-print")
    page.emulate_media(media="screen")

    # The same ticket as PDF.
    pdf_url = page.get_by_role("link", name="Ticket als PDF").get_attribute("href")
    response = page.request.get(registration + pdf_url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")

    # English.
    page.goto(page.url.split("?")[0] + "?lang=en")
    expect(page.get_by_role("heading", name="Your ticket")).to_be_visible()
    expect(page.locator(".ticket-print")).to_contain_text("Monday 6 May 2030, 13:00–14:00")
    screenshot(page, "journey-ticket-en-desktop")
    problems["ticket (en)"] = serious_violations(page)
    assert not {name: found for name, found in problems.items() if found}


def test_an_invalid_link_sends_the_link_again(platform, new_page):
    registration = platform.url("registration")
    page = new_page(viewport=PHONE)
    page.goto(f"{registration}/{EVENT}/manage/expired-or-mistyped")
    expect(page.get_by_role("heading", name="Link ungültig")).to_be_visible()
    expect(page.get_by_role("heading", name="Schick mir meinen Link noch einmal")).to_be_visible()
    screenshot(page, "journey-invalid-link-phone")
    problems = {"invalid link": serious_violations(page)}
    page.get_by_label("E-Mail-Adresse").fill("someone@example.org")
    page.get_by_role("button", name="Link schicken").click()
    expect(page.get_by_role("status").first).to_contain_text("Wenn diese Adresse angemeldet ist")
    page.goto(f"{registration}/{EVENT}/manage/expired-or-mistyped?lang=en")
    expect(page.get_by_role("heading", name="Send me my link again")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    screenshot(page, "journey-invalid-link-en-desktop")
    problems["invalid link (en)"] = serious_violations(page)
    assert not {name: found for name, found in problems.items() if found}
