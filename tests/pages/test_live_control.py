"""Live control in the browser (issue 13): "+5 min" publishes only the times it shifts. A title
change waiting in the draft stays unpublished: the public programme keeps the old title at the
new time, every organiser page still says the draft has an unpublished change, and the publish
preview still lists it. German, one step in English at phone size; screenshots in
`artifacts/screenshots/live-control-*.png`."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support.pages import (
    DESKTOP,
    EVENT,
    MAIN_STAGE,
    PHONE,
    page_width,
    platform_of,
    programme_of_today,
    screenshot,
    serious_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET_TITLE = "Geheimer neuer Titel"


@pytest.fixture(scope="module")
def live_stack(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("live-control")
    with platform_of(tmp_path, programme_of_today()) as platform:
        yield platform


def published_sessions(stack) -> dict[str, dict]:
    url = f"{stack.url('schedule')}/api/v1/events/{EVENT}/programme"
    with urllib.request.urlopen(url, timeout=5) as response:
        return {info["guid"]: info for info in json.load(response)["sessions"]}


def test_a_delay_leaves_a_pending_title_change_unpublished(live_stack, new_page):
    stack = live_stack
    schedule = stack.url("schedule")
    ids = stack.session_ids()
    before = published_sessions(stack)
    page = new_page(viewport=DESKTOP)
    sign_in(page, schedule)

    # A title change in the draft, not published.
    page.goto(f"{schedule}/{EVENT}/organiser/sessions/{ids['bridges']}")
    page.locator("#field-title").fill(SECRET_TITLE)
    page.get_by_role("button", name="Im Entwurf speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Im Entwurf gespeichert")

    page.goto(f"{schedule}/{EVENT}/organiser/live")
    expect(page.get_by_role("heading", name="Live-Steuerung", level=1)).to_be_visible()
    expect(page.get_by_text("1 unveröffentlichte Änderung im Entwurf.")).to_be_visible()
    stage = page.locator("section.live-stage", has=page.locator(f"#live-{MAIN_STAGE}"))
    assert serious_violations(page) == []
    screenshot(page, "live-control-desktop")
    stage.get_by_role("button", name=re.compile(r"^\+5 min")).click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Baseology: 2 Sessions um 5 Minuten verschoben; Release 2 ist veröffentlicht."
    )
    # The draft's title change is still waiting, and said so.
    expect(page.get_by_text("1 unveröffentlichte Änderung im Entwurf.")).to_be_visible()
    screenshot(page, "live-control-delayed-desktop")

    # Published: the times, moved by five minutes; not the title.
    after = published_sessions(stack)
    for guid in ("care", "bridges"):
        moved = datetime.fromisoformat(after[guid]["starts_at"])
        assert moved - datetime.fromisoformat(before[guid]["starts_at"]) == timedelta(minutes=5)
    assert after["bridges"]["title"] == "Brücken bauen"
    assert after["advice"]["starts_at"] == before["advice"]["starts_at"]

    attendee = new_page(viewport=PHONE)
    attendee.goto(f"{schedule}/{EVENT}/")
    card = attendee.locator(".session-card", has_text="Brücken bauen")
    starts = datetime.fromisoformat(after["bridges"]["starts_at"])
    expect(card).to_contain_text(f"{starts:%H:%M}")
    expect(attendee.locator("body")).not_to_contain_text(SECRET_TITLE)

    # The publish preview still lists the title change, and only what is still pending.
    page.goto(f"{schedule}/{EVENT}/organiser/publish")
    changelog = page.locator(".changelog")
    expect(changelog).to_contain_text(SECRET_TITLE)
    expect(changelog).not_to_contain_text("verschoben")
    screenshot(page, "live-control-publish-preview-desktop")

    # Registration's pages say so as well (the fragment from the schedule service).
    page.goto(f"{stack.url('registration')}/{EVENT}/organiser/attendees")
    expect(page.get_by_text("1 unveröffentlichte Änderung im Entwurf.")).to_be_visible()


def test_live_control_in_english_at_phone_size(live_stack, new_page):
    stack = live_stack
    page = new_page(viewport=PHONE, locale="en-GB")
    sign_in(page, stack.url("schedule"))
    page.goto(f"{stack.url('schedule')}/{EVENT}/organiser/live?lang=en")
    expect(page.get_by_role("heading", name="Live control", level=1)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^\+5 min on Baseology"))).to_be_visible()
    width = page_width(page)
    assert width <= PHONE["width"], width
    assert serious_violations(page) == []
    screenshot(page, "live-control-phone-en")
