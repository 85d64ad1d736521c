"""The statistics pages in the browser (issue 13): the server-rendered SVG charts are images with
a title (registrations over time, fill rate, check-ins per 15 minutes), their figures in tables
inside <details> that open, the session's own page; German and English labels, axe-clean at
phone and desktop size. Screenshots in `artifacts/screenshots/statistics-*.png`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.pages import (
    DESKTOP,
    EVENT,
    PHONE,
    page_width,
    platform_of,
    programme_of_today,
    register_attendee,
    screenshot,
    serious_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def stats_stack(tmp_path_factory):
    """Today's browser week: "Pflege sichern" (one seat) full with one waiting, a seat in the
    workshop, and Jürgen checked in."""
    tmp_path = tmp_path_factory.mktemp("statistics")
    with platform_of(tmp_path, programme_of_today({"care": 1})) as platform:
        ids = platform.session_ids()
        register_attendee(platform, "Jürgen Größe", "juergen@example.org", [ids["care"]])
        register_attendee(platform, "Ana Lima", "ana@example.org", [ids["care"], ids["bridges"]])
        yield platform, ids


def check_in_by_code(page, stack, name: str) -> None:
    """Read the person's code on their record and type it in on the check-in page."""
    registration = stack.url("registration")
    page.goto(f"{registration}/{EVENT}/organiser/attendees?q={name}")
    page.get_by_role("link", name=name).click()
    code = page.locator(".ticket--confirmed .ticket__code code").first.inner_text()
    page.goto(f"{registration}/{EVENT}/organiser/check-in")
    page.get_by_label("Ticket-Code").fill(code)
    page.get_by_role("button", name="Einchecken", exact=True).click()
    expect(page.locator(".checkin-result")).to_contain_text(f"Eingecheckt: {name}")


def charts_have_titles(page) -> list[str]:
    """The accessible names of the page's charts (role img); each one has a <title>."""
    charts = page.locator("svg.chart")
    names = []
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.get_attribute("role") == "img"
        title = chart.locator("title").first.text_content().strip()
        assert title
        names.append(title)
    return names


def test_statistics_in_german_with_charts_and_tables(stats_stack, new_page):
    stack, ids = stats_stack
    page = new_page(viewport=DESKTOP)
    sign_in(page, stack.url("schedule"))
    check_in_by_code(page, stack, "Jürgen Größe")

    page.goto(f"{stack.url('registration')}/{EVENT}/organiser/statistics")
    expect(page.get_by_role("heading", name="Statistik", level=1)).to_be_visible()
    figures = page.locator(".stat-figures")
    expect(figures).to_contain_text("Anmeldungen")
    expect(figures).to_contain_text("Auf der Warteliste")
    over_time = page.get_by_role("img", name=re.compile("^Anmeldungen und Stornierungen"))
    expect(over_time).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Auslastung je Session"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Check-ins je 15 Minuten am"))).to_be_visible()
    names = charts_have_titles(page)
    assert len(names) >= 3, names
    # Pflege sichern filled with Jürgen's registration: the table says since when.
    care_row = page.locator(f"#session-{ids['care']}")
    expect(care_row).to_contain_text("1 / 1")
    expect(care_row).not_to_contain_text("nicht voll")

    # The figures of each chart in a table inside <details>, closed until asked.
    details = page.locator("details.chart-figures")
    assert details.count() >= 2
    first = details.first
    expect(first.locator("table")).to_be_hidden()
    first.get_by_text("Zahlen als Tabelle").click()
    expect(first.locator("table")).to_be_visible()
    expect(first.locator("table th").first).not_to_be_empty()
    for index in range(details.count()):
        details.nth(index).locator("summary").click()
    assert serious_violations(page) == []
    screenshot(page, "statistics-desktop")

    # A session's own page.
    page.get_by_role("link", name="Pflege sichern").first.click()
    expect(page.get_by_role("heading", name="Pflege sichern", level=1)).to_be_visible()
    expect(
        page.get_by_role("img", name="Anmeldungen und Stornierungen im Zeitverlauf: Pflege sichern")
    ).to_be_visible()
    assert all(charts_have_titles(page))
    assert serious_violations(page) == []
    screenshot(page, "statistics-session-desktop")


def test_statistics_in_english_at_phone_size(stats_stack, new_page):
    stack, ids = stats_stack
    page = new_page(viewport=PHONE, locale="en-GB")
    sign_in(page, stack.url("schedule"))
    page.goto(f"{stack.url('registration')}/{EVENT}/organiser/statistics?lang=en")
    expect(page.get_by_role("heading", name="Statistics", level=1)).to_be_visible()
    expect(
        page.get_by_role("img", name="Registrations and cancellations over time, all sessions")
    ).to_be_visible()
    expect(page.get_by_role("img", name="Fill rate per session")).to_be_visible()
    expect(page.locator(".stat-figures")).to_contain_text("On the waiting list")
    details = page.locator("details.chart-figures").first
    details.get_by_text("Figures as a table").click()
    expect(details.locator("table")).to_be_visible()
    # Nothing wider than the phone but the tables' own scrolling regions.
    width = page_width(page)
    assert width <= PHONE["width"], width
    assert serious_violations(page) == []
    screenshot(page, "statistics-phone-en")

    page.goto(f"{stack.url('registration')}/{EVENT}/organiser/statistics?lang=de")
    assert serious_violations(page) == []
    screenshot(page, "statistics-phone")
    page.goto(f"{stack.url('registration')}/{EVENT}/organiser/statistics/sessions/{ids['care']}")
    assert serious_violations(page) == []
    screenshot(page, "statistics-session-phone")
