"""Helpers of the browser tests: the platform as `make run` starts it with a small programme
(`running_platform`), the organiser's sign-in, screenshots and the axe-core accessibility check.

Screenshots go to `artifacts/screenshots/` (git-ignored); look at them after a run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from harness.infra import database_factory, private_vhost, wait_until
from harness.stack import Stack
from tests.support.organisations import today_zone

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
EVENT = "browserweek"
MAIN_STAGE = "stage-main"
SIDE_STAGE = "stage-side"
ORGANISER = ("erika", "correct horse battery")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
AXE = Path(__file__).parent.parent / "pages" / "vendor" / "axe.min.js"


def _session(guid, title, start, end, stage=MAIN_STAGE, **extra):
    return {
        "guid": guid,
        "title": title,
        "title_en": extra.pop("title_en", ""),
        "stage": stage,
        "starts_at": f"2030-05-06T{start}:00+02:00",
        "ends_at": f"2030-05-06T{end}:00+02:00",
        "registration": extra.pop("registration", {"mode": "required", "capacity": None}),
        **extra,
    }


PROGRAMME = {
    "format": "todo-programme/1",
    "event": {
        "slug": EVENT,
        "title": "Browserwoche",
        "timezone": "Europe/Berlin",
        "starts_on": "2030-05-06",
        "ends_on": "2030-05-07",
        "address": "Kampstraße 1, 44137 Dortmund",
    },
    "stages": [
        {
            "guid": MAIN_STAGE,
            "name": "Baseology",
            "address": "Kampstraße 1, 44137 Dortmund",
            "capacity": 5,
            "stream_url": "https://stream.example/baseology",
        },
        {"guid": SIDE_STAGE, "name": "planQ", "address": "Prinzenstraße 11", "capacity": 20},
    ],
    "tracks": [
        {"slug": "demografie", "name": "Demografie", "color": "#e4572e"},
        {"slug": "digitalisierung", "name": "Digitalisierung", "color": "#2e86ab"},
    ],
    "sessions": [
        _session(
            "opening",
            "Eröffnung der Browserwoche",
            "13:00",
            "14:00",
            title_en="Opening of the browser week",
            type="keynote",
            tracks=["demografie"],
            streamed=True,
            speakers=[{"name": "Thomas Westphal", "organisation": "Stadt Dortmund"}],
        ),
        _session(
            "bridges",
            "Brücken bauen",
            "14:30",
            "15:30",
            type="panel",
            tracks=["demografie"],
            streamed=True,
        ),
        _session(
            "care", "Pflege sichern", "16:00", "17:00", type="panel", tracks=["digitalisierung"]
        ),
        _session(
            "advice",
            "Beratung im planQ",
            "10:00",
            "12:00",
            stage=SIDE_STAGE,
            type="workshop",
            tracks=["digitalisierung"],
            registration={"mode": "none"},
        ),
    ],
}


def require_chromium():
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's Chromium: apt-get install -y chromium chromium-driver"
        )


class PlatformStack(Stack):
    def session_ids(self) -> dict[str, int]:
        url = f"{self.url('schedule')}/api/v1/events/{EVENT}/programme"
        with urllib.request.urlopen(url, timeout=5) as response:
            return {info["guid"]: info["id"] for info in json.load(response)["sessions"]}

    def availability(self, session_id: int) -> dict | None:
        """The registration service's seat count, once its copy of the programme has it."""
        url = f"{self.url('registration')}/api/v1/events/{EVENT}/sessions/{session_id}/availability"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except OSError:
            return None


@contextlib.contextmanager
def running_platform(
    make_database, amqp_url, tmp_path: Path, programme: dict, **env: str
) -> Iterator[PlatformStack]:
    """The platform with `programme` published and an organiser account."""
    require_chromium()
    databases = {s: make_database(s).url for s in ("schedule", "registration", "notify")}
    platform = PlatformStack(databases, amqp_url, tmp_path / "var", **env)
    try:
        platform.start()
        path = tmp_path / "programme.json"
        path.write_text(json.dumps(programme))
        platform.todo("import-programme", EVENT, str(path))
        platform.todo("publish", EVENT)
        platform.todo(
            "create-organiser", "--password-stdin", ORGANISER[0], input=ORGANISER[1] + "\n"
        )
        yield platform
    except BaseException:
        print(platform.logs())
        raise
    finally:
        platform.stop()


def sign_in(page, schedule_url: str) -> None:
    """Sign the browser in as the organiser, on the German login page."""
    page.goto(f"{schedule_url}/login?lang=de")
    page.get_by_label("Name").fill(ORGANISER[0])
    page.get_by_label("Passwort").fill(ORGANISER[1])
    page.get_by_role("button", name="Anmelden").click()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def page_width(page) -> int:
    """The page's laid-out width, once its stylesheets are in: measured before (a form's answer
    whose text is there while its CSS is still on the way, on a loaded machine), the layout is
    the unstyled one."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def serious_violations(page) -> list[str]:
    # Evaluated by the test driver: the pages' Content-Security-Policy refuses inline <script>.
    page.evaluate(AXE.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} – "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


# -- helpers of the organiser's pages (issue 13) ---------------------------------------------------


def programme_of_today(capacities: dict[str, int | None] | None = None) -> dict:
    """The browser week today, in a zone (`today_zone`) where the next hours fall on one day:
    "Pflege sichern" in an hour and "Brücken bauen" half an hour later on the main stage, the
    workshop "Beratung im planQ" (with registration) in an hour on the side stage, the opening
    tomorrow at 13:00. `capacities` by guid (None: the venue's)."""
    zone = ZoneInfo(today_zone(datetime.now(UTC)))
    starts = (
        (datetime.now(UTC) + timedelta(hours=1)).astimezone(zone).replace(second=0, microsecond=0)
    )
    today, tomorrow = starts.date(), starts.date() + timedelta(days=1)
    programme = copy.deepcopy(PROGRAMME)
    programme["event"] |= {
        "timezone": zone.key,
        "starts_on": today.isoformat(),
        "ends_on": tomorrow.isoformat(),
    }
    opening = datetime.combine(tomorrow, clock(13, 0), tzinfo=zone)
    times = {
        "care": (starts, starts + timedelta(minutes=30)),
        "bridges": (starts + timedelta(minutes=30), starts + timedelta(minutes=60)),
        "advice": (starts, starts + timedelta(minutes=60)),
        "opening": (opening, opening + timedelta(hours=1)),
    }
    for info in programme["sessions"]:
        begin, end = times[info["guid"]]
        info |= {"starts_at": begin.isoformat(), "ends_at": end.isoformat()}
        if info["guid"] == "advice":
            info["registration"] = {"mode": "required", "capacity": None}
        if capacities and info["guid"] in capacities:
            info["registration"] = {"mode": "required", "capacity": capacities[info["guid"]]}
    return programme


@contextlib.contextmanager
def platform_of(tmp_path: Path, programme: dict, **env: str) -> Iterator[PlatformStack]:
    """`running_platform` on a private vhost and fresh databases, once the registration
    service has the programme (for a module-scoped fixture of a test module)."""
    with (
        private_vhost() as amqp_url,
        database_factory(tmp_path) as make_database,
        running_platform(make_database, amqp_url, tmp_path, programme, **env) as platform,
    ):
        ids = platform.session_ids()
        wait_until(
            lambda: all(platform.availability(i) is not None for i in ids.values()),
            timeout=60,
            message="registration has the programme",
        )
        yield platform


def register_attendee(
    stack: Stack, name: str, email: str, session_ids: list[int], locale: str = "de"
) -> dict:
    """Register through the public API as the registration form does; its answer."""
    request = urllib.request.Request(
        f"{stack.url('registration')}/api/v1/events/{EVENT}/registrations",
        data=json.dumps(
            {
                "name": name,
                "email": email,
                "sessions": session_ids,
                "locale": locale,
                "consent": True,
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise AssertionError(f"registration refused: {error.code} {error.read()!r}") from error


def mails_to(server, address: str) -> list:
    """The mails `server` (tests.support.notify.SmtpServer) accepted for `address`."""
    return [mail for mail in server.messages if address in str(mail["To"])]


def wait_for_mails(server, address: str, count: int = 1, timeout: float = 60) -> list:
    """At least `count` mails to `address` arrived at `server`; they are returned."""
    wait_until(
        lambda: len(mails_to(server, address)) >= count,
        timeout=timeout,
        message=f"{count} mails to {address}",
    )
    return mails_to(server, address)


def wait_for_mail(server, address: str, subject_starts: str, timeout: float = 60):
    """The first mail to `address` at `server` whose subject starts so, once it arrived."""
    return wait_until(
        lambda: next(
            (m for m in mails_to(server, address) if m["Subject"].startswith(subject_starts)),
            None,
        ),
        timeout=timeout,
        message=f"mail {subject_starts!r} to {address}",
    )


def plain_text_of(mail) -> str:
    """The plain-text part of a mail (an `EmailMessage`)."""
    return mail.get_body(preferencelist=("plain",)).get_content()
