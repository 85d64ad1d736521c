"""Helpers of the browser tests: the platform as `make run` starts it with a small programme
(`running_platform`), the organiser's sign-in, screenshots and the axe-core accessibility check.

Screenshots go to `artifacts/screenshots/` (git-ignored); look at them after a run.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.stack import Stack

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
