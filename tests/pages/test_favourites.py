"""Favourites and the programme widget in Chromium (issue 14): an attendee stars sessions without
registering, finds them in "My programme" after a reload, takes them along as a calendar and to
another device; the organiser's own site (another origin) shows the widget in a frame. Phone
and desktop, German and English, without serious axe findings."""

from __future__ import annotations

import contextlib
import re
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from harness.infra import wait_until
from tests.support.pages import DESKTOP, EVENT, PHONE, page_width, screenshot, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def calendar_answers(url: str, titles: list[str]) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
    except OSError:
        return False
    return all(title in body for title in titles)


def test_star_sessions_and_find_them_in_my_programme(stack, new_page):
    ids = stack.session_ids()
    schedule = stack.url("schedule")
    page = new_page(viewport=DESKTOP)
    page.goto(f"{schedule}/{EVENT}/")
    care = page.get_by_role("button", name="Merken: Pflege sichern")
    opening = page.get_by_role("button", name="Merken: Eröffnung der Browserwoche")
    expect(care).to_have_attribute("aria-pressed", "false")
    care.click()
    opening.focus()
    page.keyboard.press("Enter")  # keyboard works as well as the mouse
    expect(care).to_have_attribute("aria-pressed", "true")
    expect(opening).to_have_attribute("aria-pressed", "true")
    assert serious_violations(page) == []
    screenshot(page, "favourites-programme-desktop")

    page.reload()
    expect(care).to_have_attribute("aria-pressed", "true")
    expect(opening).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Merken: Brücken bauen")).to_have_attribute(
        "aria-pressed", "false"
    )
    # The grid and the session page know the same choice.
    page.goto(f"{schedule}/{EVENT}/timetable")
    expect(page.get_by_role("button", name="Merken: Pflege sichern")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert serious_violations(page) == []
    screenshot(page, "favourites-timetable-desktop", full_page=False)
    page.goto(f"{schedule}/{EVENT}/sessions/{ids['opening']}")
    expect(page.get_by_role("button", name="Merken: Eröffnung der Browserwoche")).to_have_attribute(
        "aria-pressed", "true"
    )

    page.get_by_role("link", name=re.compile(r"^Mein Programm")).click()
    expect(page.get_by_role("heading", name="Mein Programm", level=1)).to_be_visible()
    cards = page.locator("#favourites-list .session-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Eröffnung der Browserwoche")  # 13:00
    expect(cards.nth(0)).to_contain_text("13:00–14:00")
    expect(cards.nth(1)).to_contain_text("Pflege sichern")  # 16:00
    expect(page.get_by_role("heading", name="Montag, 6. Mai 2030")).to_be_visible()
    expect(page.get_by_text("braucht JavaScript")).to_be_hidden()

    wanted = ",".join(str(i) for i in sorted((ids["opening"], ids["care"])))
    notify = stack.url("notify").split("://", 1)[1]
    subscribe = page.get_by_role("link", name="In deiner Kalender-App abonnieren")
    expect(subscribe).to_have_attribute(
        "href", f"webcal://{notify}/{EVENT}/calendar/sessions.ics?ids={wanted}&lang=de"
    )
    download = page.get_by_role("link", name="Als Kalenderdatei herunterladen (.ics)")
    calendar = download.get_attribute("href")
    assert calendar == f"{stack.url('notify')}/{EVENT}/calendar/sessions.ics?ids={wanted}&lang=de"
    # notify serves that calendar (once its copy of the programme has the sessions).
    wait_until(
        lambda: calendar_answers(calendar, ["Eröffnung der Browserwoche", "Pflege sichern"]),
        message="notify's calendar of the chosen sessions",
    )
    share = page.get_by_role("link", name="Link zu dieser Liste für ein anderes Gerät")
    expect(share).to_have_attribute("href", f"{schedule}/{EVENT}/favourites?ids={wanted}")
    assert serious_violations(page) == []
    screenshot(page, "favourites-desktop")

    # Unstarring here keeps the card (to undo a slip) but leaves the calendar at once.
    page.get_by_role("button", name="Merken: Pflege sichern").click()
    expect(subscribe).to_have_attribute("href", re.compile(rf"\?ids={ids['opening']}&lang=de$"))
    expect(cards).to_have_count(2)
    page.get_by_role("button", name="Merken: Pflege sichern").click()

    # Another device: the shared link shows the list and offers to adopt it.
    phone = new_page(viewport=PHONE, locale="en-GB")
    phone.goto(f"{schedule}/{EVENT}/favourites?ids={wanted}&lang=en")
    expect(phone.get_by_role("heading", name="My programme", level=1)).to_be_visible()
    expect(phone.locator("#favourites-list .session-card")).to_have_count(2)
    expect(phone.get_by_text("Someone shared these sessions with you")).to_be_visible()
    expect(phone.locator("#favourites-list")).to_contain_text("Opening of the browser week")
    assert page_width(phone) <= PHONE["width"]
    assert serious_violations(phone) == []
    screenshot(phone, "favourites-shared-phone")
    phone.get_by_role("button", name="Add them to my programme").click()
    expect(phone.get_by_role("status")).to_have_text(
        "Adopted: these sessions are now in your programme."
    )
    assert "ids=" not in phone.url
    phone.reload()
    expect(phone.locator("#favourites-list .session-card")).to_have_count(2)
    expect(
        phone.get_by_role("button", name="Favourite: Opening of the browser week")
    ).to_have_attribute("aria-pressed", "true")
    screenshot(phone, "favourites-phone")


def test_my_programme_when_nothing_is_starred(stack, new_page):
    page = new_page(viewport=PHONE)
    page.goto(f"{stack.url('schedule')}/{EVENT}/favourites")
    expect(page.get_by_text("Du hast noch keine Veranstaltung gemerkt.")).to_be_visible()
    expect(page.locator("#favourites-export")).to_be_hidden()
    assert serious_violations(page) == []


def host_page(widget_src: str, script_src: str) -> str:
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>to:DO – Dortmunds neue Arbeit</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Programm</h1>
<iframe src="{widget_src}" title="Programm der Browserwoche" loading="lazy"
        style="width:100%;max-width:40rem;height:600px;border:0"></iframe>
<script src="{script_src}" async></script>
<p>Fußzeile der Seite</p></main></body></html>"""


@contextlib.contextmanager
def organisers_site(body: str):
    """The organiser's own site (todo-dortmund.de in real life): another origin than the
    platform's, a server of its own that answers every path with `body`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# The narrowest phone the widget is made for.
NARROW = {"width": 320, "height": 640}


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (NARROW, "phone")])
def test_widget_on_the_organisers_own_site(stack, new_page, viewport, name):
    ids = stack.session_ids()
    wait_until(lambda: stack.availability(ids["care"]), message="registration's programme copy")
    schedule = stack.url("schedule")
    page = new_page(viewport=viewport)
    page.goto(f"{schedule}/{EVENT}/widget/embed")
    code = page.locator(".widget-code").inner_text()
    widget_src = re.search(r'src="([^"]+/widget[^"]*)"', code).group(1).replace("&amp;", "&")
    script_src = re.search(r'<script src="([^"]+)"', code).group(1)
    assert widget_src == f"{schedule}/{EVENT}/widget?lang=de"
    assert serious_violations(page) == []
    screenshot(page, f"widget-embed-{name}")

    with organisers_site(host_page(widget_src, script_src)) as site:
        page.goto(f"{site}/programm")
        check_widget_in_frame(stack, page, ids, name)


def check_widget_in_frame(stack, page, ids, name) -> None:
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Montag, 6. Mai 2030")).to_be_visible()
    care = frame.locator(".session-card", has_text="Pflege sichern")
    expect(care.locator(".seats")).to_have_text("5 Plätze frei")
    reserve = care.get_by_role("link", name=re.compile(r"^Platz sichern ?: Pflege sichern"))
    expect(reserve).to_have_attribute("target", "_blank")
    expect(reserve).to_have_attribute(
        "href", f"{stack.url('registration')}/{EVENT}/register?sessions={ids['care']}&lang=de"
    )
    expect(frame.locator(".session-card", has_text="Beratung im planQ")).to_contain_text(
        "Ohne Anmeldung"
    )
    # widget-embed.js makes the frame as tall as the list: nothing scrolls inside it.
    iframe = page.locator("iframe")
    wait_until(
        lambda: abs(iframe.evaluate("el => el.getBoundingClientRect().height") - 600) > 1,
        message="the frame's height from the widget",
    )
    inner = page.frame(url=re.compile(r"/widget"))
    assert inner.evaluate(
        "document.documentElement.scrollHeight <= document.documentElement.clientHeight + 1"
    )
    assert inner.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert serious_violations(inner) == []
    screenshot(page, f"widget-{name}")

    with page.expect_popup() as popup:
        reserve.click()
    assert popup.value.url.startswith(f"{stack.url('registration')}/{EVENT}/register")
