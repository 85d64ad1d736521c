"""The door's phone scans a ticket's QR code with its camera: Chromium gets a fake camera whose
picture is the ticket's QR code (a Y4M file made here from the code), the check-in page reads it
(jsQR: Chromium on Linux has no BarcodeDetector), fills the code field and sends it; the ticket
is checked in, the answer names holder, session and the running count, and the camera, started
again on the answer page, does not send the same code a second time. Screenshots at phone size
in German and English."""

from __future__ import annotations

import copy
import io
import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from harness.infra import database_factory, private_vhost, wait_until
from services.registration.models import Ticket
from tests.support.organisations import today_zone
from tests.support.pages import (
    CHROMIUM,
    EVENT,
    PHONE,
    PROGRAMME,
    running_platform,
    screenshot,
    serious_violations,
    sign_in,
)

# Where the week happens: a zone in which the next hours fall on one day, whenever the test runs.
ZONE = ZoneInfo(today_zone(datetime.now(UTC)))


def programme_of_today() -> dict:
    """The browser week today: "Pflege sichern" in an hour (still open for registration, and
    its door opens today), the opening tomorrow."""
    starts = (
        (datetime.now(UTC) + timedelta(hours=1)).astimezone(ZONE).replace(second=0, microsecond=0)
    )
    today, tomorrow = starts.date(), starts.date() + timedelta(days=1)
    programme = copy.deepcopy(PROGRAMME)
    programme["event"] |= {
        "timezone": ZONE.key,
        "starts_on": today.isoformat(),
        "ends_on": tomorrow.isoformat(),
    }
    sessions = {info["guid"]: info for info in programme["sessions"]}
    sessions["care"] |= {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
    }
    opening = datetime.combine(tomorrow, clock(13, 0), tzinfo=ZONE)
    sessions["opening"] |= {
        "starts_at": opening.isoformat(),
        "ends_at": (opening + timedelta(hours=1)).isoformat(),
    }
    programme["sessions"] = [sessions["care"], sessions["opening"]]
    return programme


@pytest.fixture(scope="module")
def door_stack(tmp_path_factory):
    """The platform with today's programme, and its registration database."""
    tmp_path = tmp_path_factory.mktemp("door")
    made = {}
    with private_vhost() as amqp_url, database_factory(tmp_path) as make_database:

        def keep(service: str, *args):
            made[service] = make_database(service, *args)
            return made[service]

        with running_platform(keep, amqp_url, tmp_path, programme_of_today()) as platform:
            care = platform.session_ids()["care"]
            wait_until(
                lambda: platform.availability(care) is not None,
                timeout=30,
                message="registration has the programme",
            )
            yield platform, made["registration"], care


def register(stack, name: str, email: str, session_id: int) -> None:
    request = urllib.request.Request(
        f"{stack.url('registration')}/api/v1/events/{EVENT}/registrations",
        data=json.dumps(
            {
                "name": name,
                "email": email,
                "sessions": [session_id],
                "locale": "de",
                "consent": True,
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def ticket_row(db, session_id: int) -> Ticket:
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.session_id == session_id)).one()
        session.expunge(ticket)
        return ticket


def camera_file(code: str, path: Path, frames: int = 10) -> Path:
    """A Y4M video (4:2:0) of a sheet of paper with the ticket's QR code on it, as Chromium's
    fake camera plays it (in a loop)."""
    buffer = io.BytesIO()
    segno.make(code, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    qr = Image.open(buffer).convert("L")
    width, height = 640, 480
    sheet = Image.new("RGB", (width, height), (235, 235, 230))
    sheet.paste(qr.convert("RGB"), ((width - qr.width) // 2, (height - qr.height) // 2))
    luma, blue, red = sheet.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = (
        b"FRAME\n"
        + luma.tobytes()
        + blue.resize(half, Image.Resampling.BILINEAR).tobytes()
        + red.resize(half, Image.Resampling.BILINEAR).tobytes()
    )
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path


@pytest.fixture
def camera_browser(playwright):
    """camera_browser(video) -> a Chromium of its own whose camera shows `video` (from the
    worker's one Playwright: a second one cannot run beside it)."""
    opened = []

    def launch(video: Path):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        opened.append(browser)
        return browser

    yield launch
    for browser in opened:
        browser.close()


def test_the_phone_at_the_door_scans_a_ticket_with_its_camera(door_stack, camera_browser, tmp_path):
    stack, registration_db, care = door_stack
    register(stack, "Dora Dortmund", "dora@example.org", care)
    ticket = ticket_row(registration_db, care)
    assert ticket.checked_in_at is None
    browser = camera_browser(camera_file(ticket.code, tmp_path / "ticket.y4m"))

    context = browser.new_context(viewport=PHONE, locale="de-DE", permissions=["camera"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, stack.url("schedule"))
    page.goto(f"{stack.url('registration')}/{EVENT}/organiser/check-in?session={care}")
    expect(page.locator(".checkin-count")).to_contain_text("0 von 1 eingecheckt")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Mit der Kamera scannen").click()

    result = page.locator(".checkin-result")
    expect(result).to_contain_text("Eingecheckt: Dora Dortmund – Pflege sichern", timeout=30_000)
    expect(page.locator(".checkin-count")).to_contain_text("1 von 1 eingecheckt: Pflege sichern")
    checked = ticket_row(registration_db, care)
    assert checked.checked_in_at is not None and checked.checked_in_by == "erika"
    # The camera runs again on the answer, with the same ticket still in front of it: it must
    # not send the code again (the answer would turn into "already checked in").
    expect(page.locator("#scanner-video")).to_be_visible()
    time.sleep(3)
    expect(result).to_contain_text("Eingecheckt: Dora Dortmund")
    assert serious_violations(page) == []
    screenshot(page, "registration-check-in-camera-phone-de")
    page.get_by_role("button", name="Kamera ausschalten").click()
    expect(page.locator("#scanner-video")).to_be_hidden()

    # In English, on a second phone: the same ticket again says who let Dora in, and when.
    english = browser.new_context(viewport=PHONE, locale="en-GB", permissions=["camera"])
    english.set_default_timeout(15_000)
    other = english.new_page()
    sign_in(other, stack.url("schedule"))
    other.goto(f"{stack.url('registration')}/{EVENT}/organiser/check-in?session={care}&lang=en")
    other.get_by_role("button", name="Scan with the camera").click()
    answer = other.get_by_role("alert")
    expect(answer).to_contain_text("Dora Dortmund is already checked in (Pflege sichern).")
    at = checked.checked_in_at.astimezone(ZONE)
    expect(answer).to_contain_text(f"checked in at {at:%H:%M} by erika")
    expect(other.locator(".checkin-count")).to_contain_text("1 of 1 checked in")
    assert serious_violations(other) == []
    screenshot(other, "registration-check-in-camera-phone-en")
