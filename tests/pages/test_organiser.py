"""An organiser signs in, moves a session and publishes; the programme shows the new time."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.pages import DESKTOP, EVENT, ORGANISER, PHONE, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_organiser_moves_a_session_and_publishes(stack, new_page):
    page = new_page(viewport=DESKTOP)
    schedule = stack.url("schedule")
    page.goto(f"{schedule}/{EVENT}/organiser/")
    # Not signed in: the login page, which brings the organiser back afterwards.
    expect(page.get_by_role("heading", name="Anmeldung für das Orga-Team")).to_be_visible()
    screenshot(page, "login-desktop")
    page.get_by_label("Name").fill(ORGANISER[0])
    page.get_by_label("Passwort").fill(ORGANISER[1])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Programmentwurf")).to_be_visible()
    screenshot(page, "organiser-dashboard-desktop")

    page.get_by_role("link", name="Pflege sichern").click()
    page.get_by_label("Beginn").fill("17:30")
    page.get_by_label("Ende").fill("18:30")
    screenshot(page, "organiser-session-form-desktop")
    page.get_by_role("button", name="Im Entwurf speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Im Entwurf gespeichert")

    page.get_by_role("link", name="Vorschau und veröffentlichen").click()
    changelog = page.locator(".changelog")
    expect(changelog).to_contain_text("verschoben")
    expect(changelog).to_contain_text("Beginn: Mo. 6. Mai 2030, 16:00 → Mo. 6. Mai 2030, 17:30")
    screenshot(page, "organiser-publish-desktop")
    page.get_by_role("button", name="Jetzt veröffentlichen").click()
    expect(page.get_by_role("status")).to_contain_text("Release 2 ist veröffentlicht.")

    attendee = new_page(viewport=PHONE)
    attendee.goto(f"{schedule}/{EVENT}/")
    card = attendee.locator(".session-card", has_text="Pflege sichern")
    expect(card).to_contain_text("17:30–18:30")
    screenshot(attendee, "programme-after-move-phone")


def test_organiser_signs_in_once_for_every_service(stack, new_page):
    page = new_page()
    sign_in(page, stack.url("schedule"))
    cookies = {c["name"]: c for c in page.context.cookies(stack.url("registration"))}
    # Browsers send a host's cookies to all its ports: registration gets the same login.
    assert "todo_session" in cookies
    assert cookies["todo_session"]["httpOnly"]

    page.get_by_role("button", name=f"Abmelden ({ORGANISER[0]})").click()
    expect(page.get_by_role("status")).to_contain_text("Du bist abgemeldet.")
