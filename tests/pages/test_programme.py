"""An attendee browses the programme on a phone and a desktop, filters it and gathers sessions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from harness.infra import wait_until
from tests.support.pages import DESKTOP, EVENT, PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_programme_shows_the_sessions_and_filters_them(stack, new_page):
    page = new_page(viewport=PHONE)
    page.goto(f"{stack.url('schedule')}/{EVENT}/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Montag, 6. Mai")).to_be_visible()
    cards = page.locator(".session-card")
    expect(cards).to_have_count(4)
    expect(cards.first).to_contain_text("Beratung im planQ")  # 10:00, the earliest
    screenshot(page, "programme-phone")
    screenshot(page, "programme-phone-viewport", full_page=False)

    page.get_by_label("Thema").select_option(label="Digitalisierung")
    page.get_by_role("button", name="Anzeigen").click()
    expect(cards).to_have_count(2)
    expect(page.locator(".sessions")).to_contain_text("Pflege sichern")
    expect(page.locator(".sessions")).not_to_contain_text("Eröffnung der Browserwoche")

    page.get_by_label("Ort").select_option(label="planQ")
    page.get_by_role("button", name="Anzeigen").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Ohne Anmeldung")

    page.get_by_role("link", name="Alles anzeigen").click()
    expect(cards).to_have_count(4)


def test_free_seats_come_from_the_registration_service(stack, new_page):
    ids = stack.session_ids()
    wait_until(lambda: stack.availability(ids["care"]), message="registration's programme copy")
    page = new_page(viewport=PHONE)
    page.goto(f"{stack.url('schedule')}/{EVENT}/")
    card = page.locator(".session-card", has_text="Pflege sichern")
    expect(card.locator(".seats")).to_have_text("5 Plätze frei")
    expect(
        page.locator(".session-card", has_text="Beratung im planQ").locator(".seats")
    ).to_have_count(0)


def test_reserve_a_seat_gathers_sessions_across_filters_into_one_registration(stack, new_page):
    ids = stack.session_ids()
    page = new_page(viewport=DESKTOP)
    page.goto(f"{stack.url('schedule')}/{EVENT}/")
    page.get_by_role("checkbox", name=re.compile("^Platz sichern.*Pflege sichern")).check()
    expect(page.locator("#reserve-count")).to_have_text("1 Veranstaltung ausgewählt")

    # The choice survives filtering the programme.
    page.get_by_label("Thema").select_option(label="Demografie")
    page.get_by_role("button", name="Anzeigen").click()
    page.get_by_role(
        "checkbox", name=re.compile("^Platz sichern.*Eröffnung der Browserwoche")
    ).check()
    expect(page.locator("#reserve-count")).to_have_text("2 Veranstaltungen ausgewählt")
    screenshot(page, "programme-desktop")

    wanted = ",".join(str(i) for i in sorted((ids["opening"], ids["care"])))
    with page.expect_navigation(url=re.compile(r"/register\?")):
        page.get_by_role("button", name="Weiter zur Anmeldung").click()
    assert page.url == f"{stack.url('registration')}/{EVENT}/register?sessions={wanted}"


def test_session_page_in_english_with_calendar_and_stream(stack, new_page):
    ids = stack.session_ids()
    page = new_page(viewport=PHONE, locale="en-GB")
    page.goto(f"{stack.url('schedule')}/{EVENT}/sessions/{ids['opening']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opening of the browser week")
    expect(page.get_by_role("link", name="Watch the livestream")).to_have_attribute(
        "href", "https://stream.example/baseology"
    )
    expect(page.get_by_role("link", name="Subscribe to the whole programme")).to_have_attribute(
        "href", re.compile(rf"^webcal://127\.0\.0\.1:\d+/{EVENT}/calendar\.ics$")
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="This session (.ics file)").click()
    assert download.value.suggested_filename == f"{EVENT}-{ids['opening']}.ics"
    screenshot(page, "session-phone")

    page.get_by_role("link", name="DE – Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eröffnung der Browserwoche")
