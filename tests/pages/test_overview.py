"""The event's overview (issue 13) in Chromium: the registration service adds its part from its
own data, fetched across origins with the organiser's cookie; German and English, both sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.pages import DESKTOP, EVENT, PHONE, screenshot, serious_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_overview_shows_the_next_day_and_what_registration_adds(
    stack, new_page, viewport, size
):
    page = new_page(viewport=viewport)
    schedule = stack.url("schedule")
    sign_in(page, schedule)
    page.goto(f"{schedule}/{EVENT}/organiser/overview")
    expect(page.get_by_role("heading", name="Was Aufmerksamkeit braucht")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Nächster Veranstaltungstag: Montag, 6. Mai 2030")
    ).to_be_visible()
    registrations = page.locator("[data-attention]", has_text="Anmeldungen")
    expect(registrations).to_contain_text("Keine kommende Session ist ausgebucht")
    expect(registrations.get_by_role("link", name="Alle Anmeldungen")).to_be_visible()
    assert not serious_violations(page)
    screenshot(page, f"organiser-overview-{size}")

    page.goto(f"{schedule}/{EVENT}/organiser/overview?lang=en")
    expect(page.get_by_role("heading", name="Next event day: Monday, 6 May 2030")).to_be_visible()
    expect(page.locator("[data-attention]", has_text="No session to come is full")).to_be_visible()
    assert not serious_violations(page)
    screenshot(page, f"organiser-overview-{size}-en")


def test_registrations_pages_say_the_draft_has_unpublished_changes(stack, new_page):
    page = new_page(viewport=PHONE)
    schedule, registration = stack.url("schedule"), stack.url("registration")
    sign_in(page, schedule)
    page.goto(f"{schedule}/{EVENT}/organiser/sessions/{stack.session_ids()['care']}")
    page.locator('input[name="title"]').fill("Pflege sichern – neu")
    page.get_by_role("button", name="Im Entwurf speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Im Entwurf gespeichert")

    page.goto(f"{registration}/{EVENT}/organiser/registrations")
    notice = page.locator("[data-attention] .notice")
    expect(notice).to_contain_text("1 unveröffentlichte Änderung im Entwurf.")
    expect(notice.get_by_role("link", name="Änderungen ansehen")).to_have_attribute(
        "href", f"{schedule}/{EVENT}/organiser/publish"
    )
    screenshot(page, "registrations-with-unpublished-changes-phone")
