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
    registrations = page.locator("[data-attention]").filter(has_text="Anmeldungen")
    expect(registrations).to_contain_text("Keine kommende Sitzung ist ausgebucht")
    expect(registrations.get_by_role("link", name="Alle Anmeldungen")).to_be_visible()
    assert not serious_violations(page)
    screenshot(page, f"organiser-overview-{size}")

    page.goto(f"{schedule}/{EVENT}/organiser/overview?lang=en")
    expect(page.get_by_role("heading", name="Next event day: Monday, 6 May 2030")).to_be_visible()
    expect(page.locator("[data-attention]").first).to_contain_text("No session to come is full")
    assert not serious_violations(page)
    screenshot(page, f"organiser-overview-{size}-en")
