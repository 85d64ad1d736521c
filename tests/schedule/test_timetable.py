"""The timetable grid: where sessions sit (across both nights the clocks change, and a night
session on the evening before's grid), lanes for overlaps, the now-line, and the page in German
and English with its day tabs and hostile days."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

from services.schedule.draft import list_sessions, update_session
from services.schedule.pages import attendee
from services.schedule.pages.timetable import timetable_days, timetable_grid
from services.schedule.releases import publish_release, session_info
from tests.support.schedule import BERLIN, MAIN_STAGE, SIDE_STAGE, berlin, make_document
from tests.support.schedule import session_item as item


def text_of(response) -> str:
    """The page's visible text, tags dropped and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def release_sessions(schedule_db, import_document, sessions: list[dict]) -> list[dict]:
    """`sessions` imported into a fresh event, as a release shows them."""
    with schedule_db.transaction() as session:
        event = import_document(session, make_document(sessions)).event
        return sorted(
            (session_info(p, event) for p in list_sessions(session, event)),
            key=lambda info: info["starts_at"],
        )


def placed(grid) -> dict[str, tuple[int, int, int, int]]:
    return {b.info["guid"]: (b.row, b.rows, b.column, b.columns) for b in grid.blocks}


def test_night_session_is_on_the_evening_before(schedule_db, import_document):
    sessions = release_sessions(
        schedule_db,
        import_document,
        [
            item("evening", "2024-04-29 22:00", 60),
            item("night", "2024-04-30 01:00", 60),
            item("morning", "2024-04-30 10:00", 60),
        ],
    )
    assert timetable_days(sessions, BERLIN) == [date(2024, 4, 29), date(2024, 4, 30)]
    monday = timetable_grid(sessions, date(2024, 4, 29), BERLIN)
    # 22:00 is the first full hour; 01:00 is three hours (twelve rows) later.
    assert placed(monday) == {"evening": (0, 4, 0, 1), "night": (12, 4, 0, 1)}
    assert monday.rows == 16
    assert monday.labels[0][1] == "22:00" and monday.labels[6][1] == "01:00"
    tuesday = timetable_grid(sessions, date(2024, 4, 30), BERLIN)
    assert set(placed(tuesday)) == {"morning"}


def test_spring_night_sessions_keep_their_real_length(schedule_db, import_document):
    # 31 March 2024: at 02:00 the clocks go to 03:00. 01:30-03:30 lasts one hour.
    sessions = release_sessions(
        schedule_db,
        import_document,
        [item("late", "2024-03-30 22:00", 60), item("across", "2024-03-31 01:30", 60)],
    )
    grid = timetable_grid(sessions, date(2024, 3, 30), BERLIN)
    assert placed(grid)["across"] == (14, 4, 0, 1)
    labels = {row: label for row, label, _moment in grid.labels}
    assert labels[14] == "01:30" and labels[16] == "03:00"
    assert "02:00" not in labels.values()


def test_autumn_night_shows_the_repeated_hour_twice(schedule_db, import_document):
    # 27 October 2024: at 03:00 summer time the clocks go back to 02:00.
    first = berlin("2024-10-27 02:15").replace(fold=0)
    second = berlin("2024-10-27 02:15").replace(fold=1)
    assert second - first == timedelta(0)  # same wall time; a fold, an hour apart in UTC
    sessions = release_sessions(
        schedule_db,
        import_document,
        [
            item("before", "2024-10-26 23:00", 60),
            {
                **item("summer", "2024-10-27 02:15", 30),
                "starts_at": "2024-10-27T02:15:00+02:00",
                "ends_at": "2024-10-27T02:45:00+02:00",
            },
            {
                **item("winter", "2024-10-27 02:15", 30),
                "starts_at": "2024-10-27T02:15:00+01:00",
                "ends_at": "2024-10-27T02:45:00+01:00",
            },
        ],
    )
    grid = timetable_grid(sessions, date(2024, 10, 26), BERLIN)
    rows = placed(grid)
    # 23:00 CEST is row 0; 02:15 CEST is 3h15 later, 02:15 CET an hour after that.
    assert rows["summer"] == (13, 2, 0, 1)
    assert rows["winter"] == (17, 2, 0, 1)
    assert [label for _row, label, _m in grid.labels].count("02:30") == 2


def test_overlapping_sessions_of_a_stage_get_lanes(schedule_db, import_document):
    # A stage's sessions never overlap in the draft, but a cancelled one may stay beside its
    # replacement; here "b" is moved into "a"'s time as a release could show it.
    sessions = release_sessions(
        schedule_db,
        import_document,
        [
            item("a", "2024-04-29 10:00", 60),
            item("b", "2024-04-29 11:00", 60),
            item("c", "2024-04-29 12:00", 30),
            item("side", "2024-04-29 10:00", 50, stage=SIDE_STAGE, registration={"mode": "none"}),
        ],
    )
    b = next(info for info in sessions if info["guid"] == "b")
    b["starts_at"] = berlin("2024-04-29 10:30").isoformat()
    b["ends_at"] = berlin("2024-04-29 11:30").isoformat()
    grid = timetable_grid(sessions, date(2024, 4, 29), BERLIN)
    assert [(c.guid, c.lanes, c.first) for c in grid.columns] == [
        (MAIN_STAGE, 2, 0),
        (SIDE_STAGE, 1, 2),
    ]
    rows = placed(grid)
    assert rows["a"] == (0, 4, 0, 1) and rows["b"] == (2, 4, 1, 1)
    assert rows["c"] == (8, 2, 0, 2)  # alone at its time: the stage's whole width
    assert rows["side"] == (0, 4, 2, 1)  # 50 minutes take four quarter rows


def test_now_line_only_within_the_grid(schedule_db, import_document):
    sessions = release_sessions(schedule_db, import_document, [item("a", "2024-04-29 10:00", 60)])
    day = date(2024, 4, 29)
    assert timetable_grid(sessions, day, BERLIN, berlin("2024-04-29 10:20")).now_minutes == 20
    assert timetable_grid(sessions, day, BERLIN, berlin("2024-04-29 12:00")).now_minutes is None
    assert timetable_grid(sessions, day, BERLIN).now_minutes is None


# -- the page -----------------------------------------------------------------------------------


@pytest.fixture
def timetable_event(schedule_db, import_document):
    sessions = [
        item("opening", "2024-04-29 13:00", 90, tracks=["demografie"], title_en="Opening"),
        item("night", "2024-04-30 01:00", 60, title="Nachtgespräch", title_en="Night talk"),
        item("care", "2024-04-29 15:30", 60),
        item("info", "2024-04-29 10:00", 120, stage=SIDE_STAGE, registration={"mode": "none"}),
        item("tuesday", "2024-04-30 10:00", 60),
    ]
    with schedule_db.transaction() as session:
        event = import_document(session, make_document(sessions)).event
        care = next(p for p in list_sessions(session, event) if p.guid == "care")
        update_session(session, care, {"status": "cancelled"})
        publish_release(session, event)
    return "testweek"


def session_rule(page, title: str) -> str:
    """The grid-row/grid-column rule of the session block titled `title`."""
    block = re.search(r'id="timetable-session-(\d+)"(?:(?!</article>).)*' + title, page.text, re.S)
    rule = re.search(rf"#timetable-session-{block.group(1)} \{{ (grid-row[^}}]*)\}}", page.text)
    return rule.group(1).strip()


def test_timetable_page_in_german(client, timetable_event):
    page = client.get(f"/{timetable_event}/timetable?day=2024-04-29")
    assert page.status_code == 200
    text = text_of(page)
    assert "Zeitplan" in text and "Montag, 29. April 2024" in text
    # Venues as columns, alphabetically; the night session is on Monday's grid.
    assert text.index("Baseology") < text.index("planQ")
    assert "Nachtgespräch" in text and "Session tuesday" not in text
    assert "Abgesagt" in text  # the cancelled session stays, marked
    # From 10:00 (row 2): 13:00 is 12 rows later, 90 minutes are six rows, 01:00 is row 62.
    assert (
        session_rule(page, "Session opening") == "grid-row: 14 / span 6; grid-column: 2 / span 1;"
    )
    assert session_rule(page, "Nachtgespräch") == "grid-row: 62 / span 4; grid-column: 2 / span 1;"
    assert session_rule(page, "Session info") == "grid-row: 2 / span 8; grid-column: 3 / span 1;"
    # The places are in the nonce'd style element, never in style attributes (CSP).
    assert " style=" not in page.text
    nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in page.text
    # Day tabs; the day shown is the current one. The week is over: no now-line.
    assert 'aria-current="page"><span aria-hidden="true">Mo. 29. Apr.' in page.text
    assert "?day=2024-04-30" in page.text
    assert "timetable__now" not in page.text.split("</style>")[1]
    # Each session links to its page; the programme links here.
    assert re.search(r'href="/testweek/sessions/\d+">Session opening</a>', page.text)
    programme = client.get(f"/{timetable_event}/")
    assert "Zeitplan als Raster" in text_of(programme)
    assert '/testweek/timetable"' in programme.text


def test_timetable_page_in_english_defaults_to_the_first_day(client, timetable_event):
    page = client.get(f"/{timetable_event}/timetable?lang=en")
    assert page.status_code == 200
    text = text_of(page)
    assert "Timetable" in text and "Monday, 29 April 2024" in text
    assert "Opening" in text and "Night talk" in text and "Cancelled" in text
    assert "Timetable grid" in text_of(client.get(f"/{timetable_event}/"))


def test_now_line_on_today(client, timetable_event, monkeypatch):
    monkeypatch.setattr(attendee, "utcnow", lambda: berlin("2024-04-29 13:20"))
    page = client.get(f"/{timetable_event}/timetable")
    assert "Montag, 29. April 2024" in text_of(page)  # today's grid without asking
    # 13:20 is in row 13 (13:15-13:30), a third of the way down it.
    assert (
        ".timetable__now { grid-row: 15; margin-top: calc(var(--timetable-quarter) * 0.3333); }"
        in page.text
    )
    assert '<div class="timetable__now" aria-hidden="true"></div>' in page.text
    assert 'data-grid-start="2024-04-29T08:00:00+00:00"' in page.text
    # Another day's grid has none.
    other = client.get(f"/{timetable_event}/timetable?day=2024-04-30")
    assert "timetable__now" not in other.text.split("</style>")[1]


@pytest.mark.parametrize(
    "day",
    [
        "2024-05-01",  # in the week, without sessions
        "garbage",
        "2024-02-30",
        "99999-01-01",
        "2024-04-29%00",
        "%ED%A0%80",  # a lone surrogate, as UTF-8-ish bytes
        "%F0%9F%A4%A1",
        "",
        "x" * 5000,
    ],
)
def test_hostile_or_empty_days_are_404(client, timetable_event, day):
    page = client.get(f"/{timetable_event}/timetable?day={day}", headers={"Accept": "text/html"})
    # NUL and broken UTF-8 are refused before the page (400); anything else is no such day.
    assert page.status_code in (400, 404)
    if page.status_code == 404:
        assert "An diesem Tag gibt es keine Sessions." in text_of(page)


def test_no_programme_no_timetable(client, schedule_db, import_document):
    with schedule_db.transaction() as session:
        import_document(session, make_document([item("a", "2024-04-29 10:00")]))
    assert client.get("/testweek/timetable").status_code == 404
    assert client.get("/nosuchevent/timetable").status_code == 404
