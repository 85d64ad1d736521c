"""The organiser's attendee admin in the browser (issue 13): search by an umlaut name and by a
code typed in lower case, an attendee's record, cancel a ticket on someone's behalf (the first
waiting gets the seat), promote by hand in a full session (only with the over-capacity
confirmation), resend the manage link (the mail arrives at a real SMTP server), the link to the
person's mails in notify; walk-ins on the check-in page (today's session; a session of another
day is refused next to the field). German, one step in English; screenshots at phone and
desktop size in `artifacts/screenshots/attendee-admin-*.png`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.pages import (
    DESKTOP,
    EVENT,
    PHONE,
    plain_text_of,
    platform_of,
    programme_of_today,
    register_attendee,
    screenshot,
    serious_violations,
    sign_in,
    wait_for_mails,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# One seat each in the main stage's two sessions today: a waiting list after one person.
CAPACITIES = {"care": 1, "bridges": 1}


@pytest.fixture(scope="module")
def admin_stack(tmp_path_factory, smtp):
    """Today's browser week with a mail server; Jürgen has the seat in "Pflege sichern", Ana
    waits for it and has the seat in "Brücken bauen", where Carla waits."""
    tmp_path = tmp_path_factory.mktemp("attendee-admin")
    with platform_of(tmp_path, programme_of_today(CAPACITIES), SMTP_URL=smtp.url) as platform:
        ids = platform.session_ids()
        register_attendee(platform, "Jürgen Größe", "juergen@example.org", [ids["care"]])
        register_attendee(
            platform, "Ana Lima", "ana@example.org", [ids["care"], ids["bridges"]], locale="en"
        )
        register_attendee(platform, "Carla Weiß", "carla@example.org", [ids["bridges"]])
        yield platform, ids


def attendees_url(stack) -> str:
    return f"{stack.url('registration')}/{EVENT}/organiser/attendees"


def search(page, text: str) -> None:
    page.get_by_role("searchbox").fill(text)
    page.get_by_role("button", name="Suchen").click()


def ticket(page, title: str):
    return page.locator(".ticket", has=page.get_by_role("heading", name=title))


def test_search_cancel_promote_and_resend(admin_stack, smtp, new_page):
    stack, ids = admin_stack
    page = new_page(viewport=DESKTOP)
    sign_in(page, stack.url("schedule"))
    page.goto(attendees_url(stack))
    expect(page.get_by_role("heading", name="Teilnehmende", level=1)).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(3)
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-list-desktop")

    # An umlaut name.
    search(page, "größe")
    expect(page.get_by_role("heading", name="Gefunden: 1")).to_be_visible()
    page.get_by_role("link", name="Jürgen Größe").click()
    expect(page.get_by_role("heading", name="Jürgen Größe", level=1)).to_be_visible()
    care = ticket(page, "Pflege sichern")
    expect(care).to_contain_text("bestätigt")
    code = care.locator(".ticket__code code").inner_text().strip()
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-record-desktop")

    # The code typed in lower case (without its dashes) finds the same person.
    page.goto(attendees_url(stack))
    search(page, code.lower().replace("-", ""))
    expect(page.get_by_role("heading", name="Gefunden: 1")).to_be_visible()
    expect(page.locator("tbody")).to_contain_text("Jürgen Größe")
    page.get_by_role("link", name="Jürgen Größe").click()

    # Cancelled on Jürgen's behalf: Ana, first on the waiting list, gets the seat.
    page.get_by_role(
        "button", name="Dieses Ticket stornieren (die Person bekommt eine E-Mail)"
    ).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Das Ticket für „Pflege sichern“ ist storniert; Jürgen Größe bekommt eine E-Mail dazu."
    )
    expect(ticket(page, "Pflege sichern")).to_contain_text("Storniert am")
    expect(ticket(page, "Pflege sichern")).to_contain_text("(vom Veranstaltungsteam)")
    page.goto(attendees_url(stack))
    search(page, "ana@example.org")
    page.get_by_role("link", name="Ana Lima").click()
    expect(ticket(page, "Pflege sichern")).to_contain_text("bestätigt")
    wait_for_mails(smtp, "juergen@example.org", 2)  # the confirmation, then the cancellation

    # Carla waits in the full "Brücken bauen": a seat only with the confirmation.
    page.goto(attendees_url(stack))
    search(page, "Weiß")
    page.get_by_role("link", name="Carla Weiß").click()
    bridges = ticket(page, "Brücken bauen")
    expect(bridges).to_contain_text("Warteliste, Platz 1")
    expect(bridges).to_contain_text("In dieser Session ist kein Platz frei.")
    bridges.get_by_role("button", name="Jetzt einen Platz geben").click()
    expect(page.get_by_role("status")).to_contain_text("Die Session ist voll (Platzzahl: 1)")
    expect(ticket(page, "Brücken bauen")).to_contain_text("Warteliste, Platz 1")
    screenshot(page, "attendee-admin-promote-refused-desktop")
    bridges = ticket(page, "Brücken bauen")
    bridges.get_by_label("Einen Platz über die Platzzahl hinaus dazunehmen").check()
    bridges.get_by_role("button", name="Jetzt einen Platz geben").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Carla Weiß hat jetzt einen Platz in „Brücken bauen“ und bekommt eine E-Mail dazu."
    )
    expect(ticket(page, "Brücken bauen")).to_contain_text("bestätigt")
    assert stack.availability(ids["bridges"])["confirmed"] == 2

    # Resend the manage link: the mail arrives.
    before = len(wait_for_mails(smtp, "carla@example.org", 1))
    page.get_by_role("button", name="Link zum Verwalten der Buchung noch einmal senden").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Der Link zum Verwalten der Buchung geht noch einmal per E-Mail hinaus."
    )
    mails = wait_for_mails(smtp, "carla@example.org", before + 2)  # promoted, then the link
    assert any("/manage" in plain_text_of(mail) for mail in mails)

    # "Mails to this person": notify's history of Carla's mails only.
    page.get_by_role("link", name="E-Mails an diese Person").click()
    expect(page).to_have_url(re.compile(r"/organiser/mails\?attendee=\d+"))
    expect(page.locator(".mail-table tbody")).to_contain_text("carla@example.org")
    expect(page.locator(".mail-table tbody")).not_to_contain_text("juergen@example.org")
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-mails-of-one-desktop")


def test_the_record_in_english_at_phone_size(admin_stack, new_page):
    stack, _ids = admin_stack
    page = new_page(viewport=PHONE, locale="en-GB")
    sign_in(page, stack.url("schedule"))
    page.goto(attendees_url(stack) + "?lang=en")
    expect(page.get_by_role("heading", name="Attendees", level=1)).to_be_visible()
    page.get_by_role("searchbox").fill("ana")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Found: 1")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-list-phone-en")
    page.get_by_role("link", name="Ana Lima").click()
    expect(page.get_by_role("heading", name="Ana Lima", level=1)).to_be_visible()
    expect(page.get_by_text("Emails in English")).to_be_visible()
    expect(page.get_by_role("link", name="Mails to this person")).to_be_visible()
    expect(page.get_by_role("button", name="Send the confirmation again")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-record-phone-en")

    # Back in German (the language chosen stays with the browser).
    page.goto(attendees_url(stack) + "?lang=de")
    expect(page.get_by_role("heading", name="Teilnehmende", level=1)).to_be_visible()
    screenshot(page, "attendee-admin-list-phone")
    page.get_by_role("link", name="Jürgen Größe").click()
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-record-phone")


def test_walk_ins_at_the_door(admin_stack, smtp, new_page):
    stack, ids = admin_stack
    page = new_page(viewport=PHONE)
    sign_in(page, stack.url("schedule"))
    check_in = f"{stack.url('registration')}/{EVENT}/organiser/check-in"

    # A session of another day: refused, next to the field.
    page.goto(check_in)
    page.locator("#field-walk-in-session").select_option(str(ids["opening"]))
    page.locator("#field-walk-in-name").fill("Dieter Spät")
    page.locator("#field-walk-in-email").fill("dieter@example.org")
    page.get_by_role("button", name="Anmelden und einchecken").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Gäste ohne Ticket werden am Tag der Session an der Tür angemeldet."
    )
    expect(page.locator("#error-walk-in-session-1")).to_have_text("Die Session ist nicht heute.")
    expect(page.locator("#field-walk-in-name")).to_have_value("Dieter Spät")
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-walk-in-refused-phone")

    # Today's workshop: registered, checked in at once, counted at the door.
    page.locator("#field-walk-in-session").select_option(str(ids["advice"]))
    page.get_by_role("button", name="Anmelden und einchecken").click()
    result = page.locator(".checkin-result")
    expect(result).to_contain_text("Ohne Ticket an der Tür angemeldet.")
    expect(result).to_contain_text("Eingecheckt: Dieter Spät – Beratung im planQ")
    expect(page.locator(".checkin-count")).to_contain_text("1 von 1 eingecheckt: Beratung im planQ")
    assert stack.availability(ids["advice"])["confirmed"] == 1
    assert serious_violations(page) == []
    screenshot(page, "attendee-admin-walk-in-phone")
    wait_for_mails(smtp, "dieter@example.org")

    # In English at desktop size, the same person again: their own ticket is used.
    english = new_page(viewport=DESKTOP, locale="en-GB")
    sign_in(english, stack.url("schedule"))
    english.goto(f"{check_in}?lang=en")
    english.locator("#field-walk-in-session").select_option(str(ids["advice"]))
    english.locator("#field-walk-in-name").fill("Dieter Spät")
    english.locator("#field-walk-in-email").fill("DIETER@example.org")
    english.get_by_role("button", name="Register and check in").click()
    expect(english.get_by_role("alert")).to_contain_text("already checked in")
    screenshot(english, "attendee-admin-walk-in-again-desktop-en")
    assert stack.availability(ids["advice"])["confirmed"] == 1
