"""An organiser signs in, moves a session and publishes; the programme shows the new time. An
organiser gives a speaker a biography and a photo; the speaker pages show them once published."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.support.pages import (
    DESKTOP,
    EVENT,
    ORGANISER,
    PHONE,
    screenshot,
    serious_violations,
    sign_in,
)

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


def portrait() -> bytes:
    """A portrait-shaped PNG: a head and shoulders on a soft background."""
    image = Image.new("RGB", (900, 1200), (214, 228, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((300, 220, 600, 560), fill=(231, 190, 160))
    draw.ellipse((150, 620, 750, 1400), fill=(40, 70, 110))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_organiser_gives_a_speaker_a_photo_that_the_speaker_pages_show(stack, new_page):
    """Last in the module: it publishes a release of its own."""
    page = new_page(viewport=DESKTOP)
    schedule = stack.url("schedule")
    sign_in(page, schedule)
    page.goto(f"{schedule}/{EVENT}/organiser/overview")
    page.get_by_role("navigation", name="Seiten für das Orga-Team").get_by_role(
        "link", name="Mitwirkende"
    ).click()
    expect(page.get_by_role("heading", name="Mitwirkende", level=1)).to_be_visible()
    page.get_by_role("link", name="Thomas Westphal").click()
    page.get_by_label("Rolle").fill("Oberbürgermeister")
    page.get_by_label("Biografie", exact=True).fill(
        "Seit 2020 Oberbürgermeister der Stadt Dortmund.\n\nVorher leitete er die "
        "Wirtschaftsförderung."
    )
    page.get_by_label("Biografie auf Englisch").fill("Lord mayor of Dortmund since 2020.")
    page.get_by_label("Foto").set_input_files(
        {"name": "westphal.png", "mimeType": "image/png", "buffer": portrait()}
    )
    page.get_by_role("button", name="Im Entwurf speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Im Entwurf gespeichert")
    photo = page.get_by_role("img", name="Aktuelles Foto von Thomas Westphal")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") == 450  # 900 × 1200 fitted into 600 × 600
    assert serious_violations(page) == []
    screenshot(page, "organiser-speaker-form-desktop")
    for lang, viewport, name in (
        ("en", PHONE, "organiser-speaker-form-phone-en"),
        ("de", PHONE, "organiser-speaker-form-phone"),
        ("en", DESKTOP, "organiser-speaker-form-desktop-en"),
    ):
        page.set_viewport_size(viewport)
        page.goto(f"{page.url.split('?')[0]}?lang={lang}")
        screenshot(page, name)

    page.goto(f"{schedule}/{EVENT}/organiser/publish?lang=de")
    page.get_by_role("button", name="Jetzt veröffentlichen").click()
    expect(page.get_by_role("status")).to_contain_text("ist veröffentlicht.")

    for lang, viewport, suffix in (
        ("de", PHONE, "phone"),
        ("de", DESKTOP, "desktop"),
        ("en", PHONE, "phone-en"),
        ("en", DESKTOP, "desktop-en"),
    ):
        attendee = new_page(viewport=viewport)
        attendee.goto(f"{schedule}/{EVENT}/speakers?lang={lang}")
        attendee.get_by_role("link", name="Thomas Westphal").click()
        image = attendee.get_by_role("img", name="Thomas Westphal")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        biography = "Lord mayor" if lang == "en" else "Vorher leitete er"
        expect(attendee.locator(".biography")).to_contain_text(biography)
        screenshot(attendee, f"speaker-page-{suffix}")
        if suffix == "phone":
            assert serious_violations(attendee) == []
            attendee.go_back()
            screenshot(attendee, "speakers-phone")
