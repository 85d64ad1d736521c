"""The street screen shows now and next for a moment, follows a delay without a reload, and
keeps its last state while the network is gone."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.support.pages import DESKTOP, EVENT, MAIN_STAGE, PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MOMENT = "2030-05-06T13:30:00+02:00"


def announce_delay(stack, token: str, minutes: int) -> dict:
    request = urllib.request.Request(
        f"{stack.url('schedule')}/api/v1/events/{EVENT}/stages/{MAIN_STAGE}/delays",
        data=json.dumps({"minutes": minutes, "at": MOMENT}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.load(response)


def test_screen_shows_now_and_next_and_follows_a_delay_without_reload(stack, new_page):
    token = stack.todo("create-token", "screen-test").stdout.strip().splitlines()[-1]
    page = new_page(viewport=DESKTOP)
    page.goto(
        f"{stack.url('schedule')}/{EVENT}/screen/{MAIN_STAGE}?at={MOMENT.replace('+', '%2B')}"
    )
    now, upcoming = page.locator(".screen-now"), page.locator(".screen-next")
    expect(now).to_contain_text("Eröffnung der Browserwoche")
    expect(now).to_contain_text("13:00–14:00")
    expect(upcoming).to_contain_text("Brücken bauen")
    # The countdown runs on from the given moment.
    expect(upcoming).to_contain_text(re.compile(r"beginnt in (60|59) Min\."))
    expect(page.locator(".screen-qr svg")).to_be_visible()
    screenshot(page, "screen-desktop", full_page=False)
    page.evaluate("window.notReloaded = true")

    announce_delay(stack, token, 10)
    expect(now).to_contain_text("13:10–14:10")
    expect(now).to_contain_text("10 Min. später")
    expect(upcoming).to_contain_text("14:40–15:40")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "screen-delayed-desktop", full_page=False)


def test_screen_keeps_its_state_while_offline_and_recovers(stack, new_page):
    page = new_page(viewport=PHONE)
    page.goto(
        f"{stack.url('schedule')}/{EVENT}/screen/{MAIN_STAGE}?at={MOMENT.replace('+', '%2B')}"
    )
    offline = page.locator("#screen-offline")
    expect(offline).to_be_hidden()
    page.context.set_offline(True)
    expect(offline).to_be_visible()
    expect(offline).to_contain_text("Offline – Stand")
    expect(page.locator(".screen-now")).to_contain_text("Eröffnung der Browserwoche")
    screenshot(page, "screen-offline-phone", full_page=False)
    page.context.set_offline(False)
    expect(offline).to_be_hidden(timeout=30_000)
