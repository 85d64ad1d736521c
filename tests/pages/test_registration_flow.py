"""Registration in a real browser against the platform as `make run` starts it, with a real SMTP
server (aiosmtpd) catching the mail: register for a free and a full session, manage the booking
from the link in the mail, cancel (the next person waiting is promoted and mailed); a moved and
published session sends an updated invitation; check-in by "scanning" a code; axe-core.

Screenshots go to `artifacts/screenshots/registration-*.png` (git-ignored).
"""

from __future__ import annotations

import copy
import json
import re
import urllib.request
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from harness.infra import wait_until
from tests.support.pages import (
    DESKTOP,
    EVENT,
    PHONE,
    PROGRAMME,
    platform_of,
    screenshot,
    serious_violations,
    sign_in,
    wait_for_mail,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BERLIN = ZoneInfo("Europe/Berlin")
# "opening" has two seats, "bridges" one: enough to fill both with a few people.
CAPACITIES = {"opening": 2, "bridges": 1}


def plain_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def invitation(message: EmailMessage) -> icalendar.Event:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = icalendar.Calendar.from_ical(part.get_content())
            return next(iter(calendar.walk("VEVENT")))
    raise AssertionError(f"no text/calendar part in {message['Subject']!r}")


def register_by_api(stack, name: str, email: str, sessions: list[int]) -> dict:
    request = urllib.request.Request(
        f"{stack.url('registration')}/api/v1/events/{EVENT}/registrations",
        data=json.dumps(
            {"name": name, "email": email, "sessions": sessions, "locale": "de", "consent": True}
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory, smtp):
    """The platform with its mail going to `smtp`, the browser-week programme published (two
    sessions with few seats) and an organiser account; the module's tests run in file order
    on it, each with addresses of its own."""
    programme = copy.deepcopy(PROGRAMME)
    for info in programme["sessions"]:
        if info["guid"] in CAPACITIES:
            info["registration"] = {"mode": "required", "capacity": CAPACITIES[info["guid"]]}
    with platform_of(tmp_path_factory.mktemp("flow"), programme, SMTP_URL=smtp.url) as platform:
        yield platform


def fill_registration(page, name: str, email: str) -> None:
    page.get_by_role("textbox", name="Name", exact=True).fill(name)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Ich willige ein").check()


def test_register_with_a_full_session_then_cancel_from_the_mail(mail_stack, smtp, new_page):
    stack = mail_stack
    ids = stack.session_ids()
    register_by_api(stack, "Anna", "anna@example.org", [ids["opening"]])
    register_by_api(stack, "Bernd", "bernd@example.org", [ids["bridges"]])

    # From the programme: tick two sessions and continue to the registration form.
    page = new_page(viewport=PHONE)
    page.goto(f"{stack.url('schedule')}/{EVENT}/")
    # A full session offers its waiting list, and says how long it is (nobody waits yet).
    full = page.locator(".session-card", has_text="Brücken bauen")
    expect(full.locator(".seats")).to_have_text("Ausgebucht – Warteliste")
    for title, offer in (
        ("Eröffnung der Browserwoche", "Platz sichern"),
        ("Brücken bauen", "Auf die Warteliste"),
    ):
        card = page.locator(".session-card", has_text=title)
        expect(card.locator(".reserve__text")).to_have_text(offer)
        card.get_by_label(re.compile(offer)).check()
    page.get_by_role("button", name="Weiter zur Anmeldung").click()
    expect(page.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()
    opening = page.locator(f"#session-{ids['opening']}")
    bridges = page.locator(f"#session-{ids['bridges']}")
    expect(opening).to_contain_text("1 Platz frei")
    expect(bridges).to_contain_text("Ausgebucht – Warteliste")
    expect(opening.get_by_role("checkbox")).to_be_checked()
    screenshot(page, "registration-form-phone")

    # A mistake first: the error is next to its field and the typed name survives.
    page.get_by_role("textbox", name="Name", exact=True).fill("Clara Beispiel")
    page.get_by_label("E-Mail-Adresse").fill("clara@")
    page.get_by_role("button", name="Jetzt anmelden").click()
    expect(page.locator("#error-email-1")).to_have_text("Keine gültige E-Mail-Adresse.")
    expect(page.locator("#error-consent-1")).to_be_visible()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("Clara Beispiel")
    screenshot(page, "registration-form-errors-phone")

    fill_registration(page, "Clara Beispiel", "clara@example.org")
    page.get_by_role("button", name="Jetzt anmelden").click()
    expect(page.get_by_role("heading", name="Danke für deine Anmeldung")).to_be_visible()
    tickets = page.locator(".ticket")
    expect(tickets.filter(has_text="Eröffnung der Browserwoche")).to_contain_text("Platz bestätigt")
    expect(tickets.filter(has_text="Brücken bauen")).to_contain_text("Warteliste")
    # The receipt shows what was booked, the address masked, and no way into the booking:
    # whoever fills in the form may not own the address, the link only comes by mail.
    expect(page.get_by_text("cl***@example.org")).to_be_visible()
    assert "/registered/" in page.url and "/manage/" not in page.content()
    screenshot(page, "registration-confirmation-phone")
    # POST/redirect/GET: reloading registers nothing again, and the language can be switched.
    page.reload()
    expect(page.get_by_role("heading", name="Danke für deine Anmeldung")).to_be_visible()
    page.locator('a[hreflang="en"]').click()
    expect(page.get_by_role("heading", name="Thank you for registering")).to_be_visible()
    expect(page.locator(".ticket", has_text="Brücken bauen")).to_contain_text(
        "Waiting list, position 1"
    )
    page.locator('a[hreflang="de"]').click()
    expect(page.get_by_role("heading", name="Danke für deine Anmeldung")).to_be_visible()

    # Someone else now waits for the opening, which Clara's seat filled.
    carla = register_by_api(stack, "Carla", "carla@example.org", [ids["opening"]])
    assert carla["tickets"][0]["status"] == "waitlisted"
    # The programme tells the next visitor how long the waiting lists are.
    visitor = new_page(viewport=PHONE)
    visitor.goto(f"{stack.url('schedule')}/{EVENT}/")
    for title in ("Eröffnung der Browserwoche", "Brücken bauen"):
        card = visitor.locator(".session-card", has_text=title)
        expect(card.locator(".seats")).to_have_text("Ausgebucht – 1 auf der Warteliste")
        expect(card.locator(".reserve__text")).to_have_text("Auf die Warteliste")

    # The manage link from the confirmation mail.
    # One booking of two sessions, one mail.
    mail = wait_for_mail(
        smtp, "clara@example.org", "Deine Anmeldung bei Browserwoche: 1 Platz sicher"
    )
    manage_url = re.search(r"http://\S+/manage/[\w-]+", plain_text(mail)).group(0)
    page.goto(manage_url)
    expect(page.get_by_role("heading", name="Deine Anmeldung")).to_be_visible()
    seat = page.locator(".ticket", has_text="Eröffnung der Browserwoche")
    expect(seat.locator("svg.qr")).to_be_visible()
    expect(page.locator(".ticket", has_text="Brücken bauen")).to_contain_text("Warteliste, Platz 1")
    screenshot(page, "registration-manage-phone")
    page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=stack.url("registration")
    )
    page.get_by_role("button", name="Link kopieren").click()
    expect(page.locator("#copy-status")).to_have_text("Kopiert")
    feed_url = page.get_by_label(re.compile("^Feed-Adresse")).input_value()
    assert "/calendar/personal/" in feed_url
    assert page.evaluate("() => navigator.clipboard.readText()") == feed_url
    webcal = page.get_by_role("link", name="In deiner Kalender-App abonnieren")
    expect(webcal).to_have_attribute("href", "webcal://" + feed_url.split("://", 1)[1])
    page.set_viewport_size(DESKTOP)
    screenshot(page, "registration-manage-desktop")

    seat.get_by_role("link", name=re.compile("^Stornieren")).click()
    expect(page.get_by_role("heading", name=re.compile("stornieren\\?$"))).to_be_visible()
    screenshot(page, "registration-cancel-confirm-desktop")
    page.get_by_role("button", name="Ja, diesen Platz stornieren").click()
    expect(page.get_by_role("status").first).to_contain_text("ist storniert")
    expect(seat).to_contain_text("Platz storniert")

    promoted = wait_for_mail(smtp, "carla@example.org", "Ein Platz ist frei geworden: Eröffnung")
    assert "Carla" in plain_text(promoted)
    assert stack.availability(ids["opening"]) == {
        "capacity": 2,
        "confirmed": 2,
        "waitlisted": 0,
        "available": 0,
    }


def test_a_moved_session_sends_an_updated_invitation_and_tickets_check_in(
    mail_stack, smtp, new_page
):
    stack = mail_stack
    ids = stack.session_ids()
    page = new_page(viewport=DESKTOP)
    page.goto(f"{stack.url('registration')}/{EVENT}/register?sessions={ids['care']}")
    screenshot(page, "registration-form-desktop")
    fill_registration(page, "Dora Dortmund", "dora@example.org")
    page.get_by_role("button", name="Jetzt anmelden").click()
    expect(page.locator(".ticket")).to_contain_text("Platz bestätigt")
    first = wait_for_mail(smtp, "dora@example.org", "Dein Platz ist sicher: Pflege sichern")
    before = invitation(first)
    assert before.decoded("dtstart").astimezone(BERLIN).strftime("%H:%M") == "16:00"

    schedule = stack.url("schedule")
    sign_in(page, schedule)
    page.goto(f"{schedule}/{EVENT}/organiser/sessions/{ids['care']}")
    page.get_by_label("Beginn").fill("17:30")
    page.get_by_label("Ende").fill("18:30")
    page.get_by_role("button", name="Im Entwurf speichern").click()
    page.goto(f"{schedule}/{EVENT}/organiser/publish")
    page.get_by_role("button", name="Jetzt veröffentlichen").click()
    expect(page.get_by_role("status")).to_contain_text("Release 2 ist veröffentlicht.")

    changed = wait_for_mail(smtp, "dora@example.org", "Geändert: Pflege sichern")
    after = invitation(changed)
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) > int(before.get("sequence", 0))
    starts = after.decoded("dtstart")
    assert isinstance(starts, datetime)
    assert starts.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2030-05-06 17:30"

    # The organiser's view of registrations, and the door: a scanner "types" the code + Enter.
    registration = stack.url("registration")
    page.goto(f"{registration}/{EVENT}/organiser/registrations")
    row = page.locator(f"#counts-{ids['care']}")
    expect(row).to_contain_text("1 / 5")
    screenshot(page, "registration-organiser-dashboard-desktop")
    code = re.search(r"Dein Ticket-Code: (\S+)", plain_text(first)).group(1)
    # A ticket opens its door only on the session's day: the session moves to today.
    page.goto(f"{schedule}/{EVENT}/organiser/sessions/{ids['care']}")
    page.locator("#field-day").fill(datetime.now(BERLIN).date().isoformat())
    page.get_by_label("Beginn").fill("00:00")
    page.get_by_label("Ende").fill("23:59")
    page.get_by_role("button", name="Im Entwurf speichern").click()
    page.goto(f"{schedule}/{EVENT}/organiser/publish")
    page.get_by_role("button", name="Jetzt veröffentlichen").click()
    expect(page.get_by_role("status")).to_contain_text("Release 3 ist veröffentlicht.")
    page.goto(f"{registration}/{EVENT}/organiser/check-in?session={ids['care']}")
    expect(page.get_by_label("Ticket-Code")).to_be_focused()

    def admitted() -> bool:
        # Until registration has the new release the door answers "another day".
        with page.expect_navigation():
            page.keyboard.type(code + "\n")
        return "Eingecheckt: Dora Dortmund" in page.locator(".checkin-result").inner_text()

    wait_until(admitted, timeout=30, interval=0.5, message="the door to let Dora in")
    expect(page.get_by_label("Ticket-Code")).to_be_focused()
    page.keyboard.type(code + "\n")
    expect(page.get_by_role("alert")).to_contain_text("schon eingecheckt")
    screenshot(page, "registration-check-in-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "registration-check-in-phone")


def test_registration_and_manage_pages_have_no_serious_violations(mail_stack, smtp, new_page):
    stack = mail_stack
    ids = stack.session_ids()
    registration = stack.url("registration")
    # "care" runs today since the test before, and a running session takes no registrations.
    register_by_api(stack, "Erika", "erika@example.org", [ids["opening"]])
    page = new_page(viewport=PHONE)
    problems = {}
    page.goto(f"{registration}/{EVENT}/register?sessions={ids['opening']},{ids['bridges']}")
    problems["form"] = serious_violations(page)
    page.get_by_role("button", name="Jetzt anmelden").click()
    expect(page.locator(".error-summary")).to_be_visible()
    problems["form with errors"] = serious_violations(page)
    page.goto(f"{registration}/{EVENT}/register?lang=en")
    problems["form (en)"] = serious_violations(page)
    page.goto(f"{registration}/{EVENT}/register?sessions={ids['bridges']}&lang=de")
    fill_registration(page, "Erika", "erika@example.org")
    page.get_by_role("button", name="Jetzt anmelden").click()
    expect(page.get_by_role("heading", name="Danke für deine Anmeldung")).to_be_visible()
    problems["receipt"] = serious_violations(page)

    # Lost the mail: the link is sent again, to the address only.
    page.get_by_role("link", name=re.compile("Link zu deiner Anmeldung noch einmal")).click()
    problems["ask for the link"] = serious_violations(page)
    page.get_by_label("E-Mail-Adresse").fill("Erika@Example.org")
    page.get_by_role("button", name="Link schicken").click()
    expect(page.get_by_role("status").first).to_contain_text("Wenn diese Adresse angemeldet ist")
    mail = wait_for_mail(smtp, "erika@example.org", "Dein Link zu deiner Anmeldung")
    manage_url = re.search(r"http://\S+/manage/[\w-]+", plain_text(mail)).group(0)
    page.goto(manage_url + "?lang=de")
    problems["manage"] = serious_violations(page)
    page.get_by_role("link", name="Meine Daten löschen und alle Plätze freigeben").click()
    problems["erase confirm"] = serious_violations(page)

    sign_in(page, stack.url("schedule"))
    for name, path in {
        "organiser dashboard": "/organiser/registrations",
        "attendee list": f"/organiser/registrations/sessions/{ids['opening']}",
        "check-in": "/organiser/check-in",
    }.items():
        page.goto(f"{registration}/{EVENT}{path}")
        problems[name] = serious_violations(page)
    screenshot(page, "registration-organiser-check-in-phone")
    assert not {name: found for name, found in problems.items() if found}
