"""Importing into the draft keyed by guid, the `todo` commands, the bundled programme, and
export -> import -> export giving the same programme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from services.schedule.commands import BUNDLED_PROGRAMME, load_bundled_programme
from services.schedule.draft import find_event, list_sessions
from services.schedule.models import OutboxMessage, ProgrammeSession, Release
from services.schedule.programme_format import document_from_release
from services.schedule.releases import latest_release, publish_release
from shared.cli import main as todo
from shared.errors import Invalid, NotFound
from tests.support.schedule import session_item

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def run_todo(make_config, schedule_db, monkeypatch):
    """run_todo(*args) -> click Result of `todo ARGS` against the test database."""
    monkeypatch.setenv("SCHEDULE_DATABASE_URL", schedule_db.url)

    def run(*args: str):
        return CliRunner().invoke(todo, list(args), catch_exceptions=False)

    return run


def write(tmp_path: Path, name: str, document: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False))
    return str(path)


def releases(db, slug: str) -> list[dict]:
    with db.transaction() as session:
        return [
            r.data
            for r in session.scalars(
                select(Release)
                .where(Release.event_id == find_event(session, slug).id)
                .order_by(Release.number)
            )
        ]


def test_reimporting_a_changed_file_gives_the_right_changelog(
    run_todo, schedule_db, document, tmp_path
):
    result = run_todo("import-programme", "woche", write(tmp_path, "v1.json", document))
    assert result.exit_code == 0, result.output
    assert "4 new" in result.output
    assert run_todo("publish", "woche", "--comment", "Start").exit_code == 0
    first = {s["guid"]: s["id"] for s in releases(schedule_db, "woche")[0]["sessions"]}

    sessions = {s["guid"]: s for s in document["sessions"]}
    sessions["bridges"].update(session_item("bridges", "2024-04-29 16:30", 60))
    sessions["care"]["title"] = "Pflegeversorgung sichern"
    sessions["opening"]["speakers"].append({"name": "Heike Bettermann"})
    del sessions["info"]
    document["sessions"] = [*sessions.values(), session_item("ai", "2024-05-03 18:00", 90)]
    result = run_todo("import-programme", "woche", write(tmp_path, "v2.json", document))
    assert "1 new, 3 updated, 1 cancelled" in result.output

    result = run_todo("publish", "woche")
    assert result.exit_code == 0
    assert "release 2 published" in result.output
    second = releases(schedule_db, "woche")[1]
    ids = {s["guid"]: s["id"] for s in second["sessions"]}
    assert {g: ids[g] for g in first} == first  # same sessions, same ids
    changes = {c["session"]: (c["kind"], c["fields_changed"]) for c in second["changes"]}
    assert changes == {
        ids["bridges"]: ("moved", ["starts_at", "ends_at"]),
        ids["care"]: ("changed", ["title"]),
        ids["opening"]: ("changed", ["speakers"]),
        ids["info"]: ("cancelled", ["status"]),
        ids["ai"]: ("new", []),
    }


def test_publish_without_changes_says_so_and_succeeds(run_todo, document, tmp_path):
    run_todo("import-programme", "woche", write(tmp_path, "p.json", document))
    run_todo("publish", "woche")
    result = run_todo("publish", "woche")
    assert result.exit_code == 0
    assert "Nothing changed since release 1" in result.output


def test_cli_errors_are_clear_and_change_nothing(run_todo, schedule_db, document, tmp_path):
    assert run_todo("publish", "nope").exit_code == 1
    broken = json.loads(json.dumps(document))
    broken["sessions"][1]["starts_at"] = broken["sessions"][0]["starts_at"]  # overlap
    result = run_todo("import-programme", "woche", write(tmp_path, "bad.json", broken))
    assert result.exit_code == 1
    assert "Overlaps" in result.output
    garbage = tmp_path / "garbage.xml"
    garbage.write_text("<schedule><nonsense/></schedule>")
    assert run_todo("import-programme", "woche", str(garbage)).exit_code == 1
    with schedule_db.transaction() as session:
        with pytest.raises(NotFound):
            find_event(session, "woche")
        assert session.scalar(select(func.count()).select_from(ProgrammeSession)) == 0


@pytest.mark.parametrize(
    "name", ["pretalx-nextwork24-schedule.xml", "pretalx-nextwork24-schedule.json"]
)
def test_frab_files_import_and_publish(run_todo, schedule_db, name):
    result = run_todo("import-programme", "nextwork", str(FIXTURES / name))
    assert result.exit_code == 0, result.output
    assert "6 new" in result.output
    assert run_todo("publish", "nextwork").exit_code == 0
    assert run_todo("import-programme", "nextwork", str(FIXTURES / name)).exit_code == 0
    assert "Nothing changed" in run_todo("publish", "nextwork").output


def test_export_import_export_gives_the_same_programme(any_schedule_db, import_document, tmp_path):
    document = json.loads(BUNDLED_PROGRAMME.read_text())
    with any_schedule_db.transaction() as session:
        event = import_document(session, document).event
        exported = document_from_release(publish_release(session, event).data)
    exported = json.loads(json.dumps(exported))
    exported["event"]["slug"] = "copy"
    with any_schedule_db.transaction() as session:
        copy = import_document(session, exported).event
        again = document_from_release(publish_release(session, copy).data)
    assert json.loads(json.dumps(again)) == exported
    assert len(exported["sessions"]) == len(document["sessions"])


def test_export_command_writes_our_format(run_todo, document, tmp_path):
    run_todo("import-programme", "woche", write(tmp_path, "p.json", document))
    run_todo("publish", "woche")
    out = tmp_path / "out.json"
    assert run_todo("export-programme", "woche", str(out)).exit_code == 0
    exported = json.loads(out.read_text())
    assert exported["format"] == "todo-programme/1"
    assert exported["event"]["slug"] == "woche"
    assert {s["guid"] for s in exported["sessions"]} == {s["guid"] for s in document["sessions"]}


def test_bundled_programme_loads_once(schedule_db, make_config):
    config = make_config(schedule_db=schedule_db)
    load_bundled_programme(config)
    load_bundled_programme(config)
    with schedule_db.transaction() as session:
        event = find_event(session, "todo2024")
        assert latest_release(session, event).number == 1
        published = session.scalars(
            select(OutboxMessage.routing_key).order_by(OutboxMessage.id)
        ).all()
        # Once: the event's organisation, then its first release.
        assert published == ["schedule.event.owner_changed", "schedule.release.published"]
        assert event.organisation == "todo-dortmund"
        titles = [p.title for p in list_sessions(session, event)]
    assert any(t.startswith("Brücken bauen") for t in titles)


def test_bundled_reload_keeps_organisers_edits(schedule_db, make_config):
    config = make_config(schedule_db=schedule_db)
    load_bundled_programme(config)
    with schedule_db.transaction() as session:
        programme_session = list_sessions(session, find_event(session, "todo2024"))[0]
        programme_session.title = "Von Hand geändert"
    load_bundled_programme(config)
    with schedule_db.transaction() as session:
        assert (
            list_sessions(session, find_event(session, "todo2024"))[0].title == "Von Hand geändert"
        )


def test_import_cancels_missing_and_keeps_ids(schedule_db, document, import_document):
    with schedule_db.transaction() as session:
        summary = import_document(session, document)
        ids = {p.guid: p.id for p in list_sessions(session, summary.event)}
    document["sessions"] = document["sessions"][:2]
    with schedule_db.transaction() as session:
        summary = import_document(session, document)
        after = {p.guid: (p.id, p.status) for p in list_sessions(session, summary.event)}
    assert summary.cancelled == 2
    assert after == {
        "opening": (ids["opening"], "scheduled"),
        "bridges": (ids["bridges"], "scheduled"),
        "care": (ids["care"], "cancelled"),
        "info": (ids["info"], "cancelled"),
    }


def test_duplicate_guids_in_a_file_are_refused(schedule_db, document, import_document):
    document["sessions"].append(
        dict(
            document["sessions"][0],
            starts_at="2024-05-02T10:00:00+02:00",
            ends_at="2024-05-02T11:00:00+02:00",
        )
    )
    with schedule_db.transaction() as session, pytest.raises(Invalid) as refused:
        import_document(session, document)
    assert "guid" in refused.value.errors["sessions"]["4"]


def test_a_past_programme_moves_to_other_days_keeping_local_times(run_todo, schedule_db):
    # The bundled week (29 April 2024, summer time) on the Monday 7 December 2026 (winter time).
    result = run_todo(
        "import-programme", "demo", str(BUNDLED_PROGRAMME), "--first-day", "2026-12-07"
    )
    assert result.exit_code == 0, result.output
    assert run_todo("publish", "demo").exit_code == 0
    original = json.loads(BUNDLED_PROGRAMME.read_text())
    (moved,) = releases(schedule_db, "demo")
    assert (moved["event"]["starts_on"], moved["event"]["ends_on"]) == ("2026-12-07", "2026-12-11")
    first = min(original["sessions"], key=lambda s: s["starts_at"])
    assert first["starts_at"].startswith("2024-04-29T13:00:00+02:00")
    starts = {s["guid"]: s["starts_at"] for s in moved["sessions"]}
    assert starts[first["guid"]] == "2026-12-07T13:00:00+01:00"
    assert len(starts) == len(original["sessions"])
    refused = run_todo("import-programme", "demo", str(BUNDLED_PROGRAMME), "--first-day", "soon")
    assert refused.exit_code == 2 and "'soon'" in refused.output
