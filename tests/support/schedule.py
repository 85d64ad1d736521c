"""Example data for the schedule tests: a programme document (todo-programme/1) with two stages,
two tracks and a few sessions, and wall-clock times in Berlin."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
MAIN_STAGE = "stage-main"
SIDE_STAGE = "stage-side"


def berlin(text: str) -> datetime:
    """`berlin("2024-04-29 14:30")` -> that wall-clock time in Europe/Berlin (aware)."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def make_document(sessions: list[dict] | None = None, slug: str = "testweek") -> dict:
    """A programme document (todo-programme/1) with two stages, two tracks and `sessions`."""
    return {
        "format": "todo-programme/1",
        "event": {
            "slug": slug,
            "title": "Testwoche",
            "timezone": "Europe/Berlin",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
            "address": "Kampstraße 1, 44137 Dortmund",
        },
        "stages": [
            {
                "guid": MAIN_STAGE,
                "name": "Baseology",
                "capacity": 40,
                "stream_url": "https://stream.example/main",
            },
            {"guid": SIDE_STAGE, "name": "planQ", "address": "Prinzenstraße 11", "capacity": None},
        ],
        "tracks": [
            {"slug": "demografie", "name": "Demografie", "color": "#e4572e"},
            {"slug": "digitalisierung", "name": "Digitalisierung", "color": "#2e86ab"},
        ],
        "sessions": sessions if sessions is not None else default_sessions(),
    }


def session_item(guid: str, start: str, minutes: int = 60, stage: str = MAIN_STAGE, **extra):
    starts_at = berlin(start)
    return {
        "guid": guid,
        "title": extra.pop("title", f"Session {guid}"),
        "stage": stage,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(minutes=minutes)).astimezone(BERLIN).isoformat(),
        "registration": extra.pop("registration", {"mode": "required"}),
        **extra,
    }


def default_sessions() -> list[dict]:
    return [
        session_item(
            "opening",
            "2024-04-29 13:00",
            90,
            tracks=["demografie"],
            speakers=[{"name": "Thomas Westphal", "organisation": "Stadt Dortmund", "role": "OB"}],
            streamed=True,
        ),
        session_item("bridges", "2024-04-29 14:30", 60, tracks=["demografie"], streamed=True),
        session_item("care", "2024-04-29 15:30", 60),
        session_item(
            "info",
            "2024-04-29 10:00",
            120,
            stage=SIDE_STAGE,
            registration={"mode": "none"},
        ),
    ]
