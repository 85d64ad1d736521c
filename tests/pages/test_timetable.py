"""The timetable grid and the speaker pages in Chromium: at phone and desktop size, German and
English, keyboard-reachable and without serious axe findings."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.pages import DESKTOP, EVENT, PHONE, page_width, screenshot, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_timetable_grid_at_both_sizes(stack, new_page):
    schedule = stack.url("schedule")
    page = new_page(viewport=DESKTOP)
    page.goto(f"{schedule}/{EVENT}/")
    page.get_by_role("link", name="Zeitplan als Raster").click()
    expect(page.get_by_role("heading", name="Zeitplan", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Montag, 6. Mai 2030")).to_be_visible()
    grid = page.locator(".timetable")
    expect(grid.locator(".timetable__stage")).to_have_count(2)
    opening = grid.locator("article", has_text="Eröffnung der Browserwoche")
    advice = grid.locator("article", has_text="Beratung im planQ")
    expect(opening).to_contain_text("13:00–14:00")
    # Stages side by side; 13:00 below 10:00; two hours twice as tall as one.
    opening_box, advice_box = opening.bounding_box(), advice.bounding_box()
    assert opening_box["x"] < advice_box["x"]
    assert advice_box["y"] < opening_box["y"]
    assert advice_box["height"] == pytest.approx(2 * opening_box["height"] + 2, abs=4)
    assert serious_violations(page) == []
    screenshot(page, "timetable-desktop")

    opening.get_by_role("link", name="Eröffnung der Browserwoche").click()
    expect(page.get_by_role("heading", name="Eröffnung der Browserwoche")).to_be_visible()

    phone = new_page(viewport=PHONE)
    phone.goto(f"{schedule}/{EVENT}/timetable?lang=en")
    expect(phone.get_by_role("heading", name="Timetable", exact=True)).to_be_visible()
    region = phone.get_by_role("region", name="Monday, 6 May 2030")
    expect(region).to_be_visible()
    # The grid scrolls sideways inside its region; the page itself does not.
    assert page_width(phone) <= PHONE["width"]
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    time_column = phone.locator(".timetable__time").first
    before = time_column.bounding_box()["x"]
    region.evaluate("el => el.scrollLeft = 200")
    assert time_column.bounding_box()["x"] == pytest.approx(before, abs=1)  # sticky
    region.focus()
    phone.keyboard.press("ArrowRight")
    assert serious_violations(phone) == []
    region.evaluate("el => el.scrollLeft = 0")
    screenshot(phone, "timetable-phone")
    screenshot(phone, "timetable-phone-viewport", full_page=False)


def test_speaker_pages_at_both_sizes(stack, new_page):
    schedule = stack.url("schedule")
    page = new_page(viewport=DESKTOP)
    page.goto(f"{schedule}/{EVENT}/")
    page.get_by_role("link", name="Mitwirkende").first.click()
    expect(page.get_by_role("heading", name="Mitwirkende")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "speakers-desktop")
    page.get_by_role("link", name="Thomas Westphal").click()
    expect(page.get_by_role("heading", name="Thomas Westphal")).to_be_visible()
    expect(page.locator(".sessions")).to_contain_text("Eröffnung der Browserwoche")
    map_link = page.get_by_role("link", name=re.compile(r"^Karte ?: Baseology auf OpenStreetMap$"))
    expect(map_link).to_have_attribute(
        "href",
        "https://www.openstreetmap.org/search?query=Kampstra%C3%9Fe%201%2C%2044137%20Dortmund",
    )
    assert serious_violations(page) == []
    screenshot(page, "speaker-desktop")

    phone = new_page(viewport=PHONE)
    phone.goto(page.url + "?lang=en")
    expect(phone.get_by_role("heading", name="Sessions")).to_be_visible()
    assert page_width(phone) <= PHONE["width"]
    assert serious_violations(phone) == []
    screenshot(phone, "speaker-phone")
