"""The event's overview for organisers (issue 13): the day at hand with each session's state (a
day runs 04:00-03:59, as in the frab exports and day feeds), and what needs attention, each part
shown only to the roles that may see it."""

from __future__ import annotations

import pytest

from services.schedule.draft import find_event, find_session
from services.schedule.live import set_live_status
from services.schedule.models import OrganiserAccount
from services.schedule.organisations import create_organisation, set_owner
from services.schedule.overview import OVER, RUNNING, UPCOMING, programme_overview
from services.schedule.releases import publish_release
from shared.pages.organisers import organiser_session, set_organiser_password
from shared.permissions import Principal
from tests.support.schedule import berlin, make_document, session_item

SESSIONS = [
    session_item("morning", "2024-04-29 10:00", 60),
    session_item("noon", "2024-04-29 12:00", 60),
    # Calendar date 30 April, event day 29 April.
    session_item("night", "2024-04-30 01:00", 60, registration={"mode": "none"}),
    session_item("later", "2024-05-02 18:00", 60),
]


@pytest.fixture
def event(schedule_db, import_document):
    with schedule_db.transaction() as session:
        found = import_document(session, make_document(SESSIONS, slug="week")).event
        publish_release(session, found, "erste Fassung")
    return "week"


def day_at_hand(db, slug: str, now: str):
    with db.transaction() as session:
        overview = programme_overview(session, find_event(session, slug), now=berlin(now))
        if overview.day is None:
            return None, overview.over
        return (
            overview.day.day.isoformat(),
            overview.day.today,
            {slot["guid"]: slot["state"] for slot in overview.day.sessions},
        ), overview.over


def test_today_lists_its_sessions_with_their_state_and_the_night_belongs_to_it(schedule_db, event):
    day, over = day_at_hand(schedule_db, event, "2024-04-29 12:30")
    assert day == (
        "2024-04-29",
        True,
        {"morning": OVER, "noon": RUNNING, "night": UPCOMING},
    )
    assert not over
    # At 02:00 the event day is still 29 April.
    day, _ = day_at_hand(schedule_db, event, "2024-04-30 01:30")
    assert day[0] == "2024-04-29" and day[2]["night"] == RUNNING


def test_between_days_and_before_the_event_the_next_day_with_sessions(schedule_db, event):
    assert day_at_hand(schedule_db, event, "2024-04-30 09:00")[0] == (
        "2024-05-02",
        False,
        {"later": UPCOMING},
    )
    assert day_at_hand(schedule_db, event, "2024-04-01 09:00")[0][:2] == ("2024-04-29", False)


def test_after_the_event_no_day_and_over(schedule_db, event):
    assert day_at_hand(schedule_db, event, "2024-05-03 09:00") == (None, True)


def test_live_marks_win_over_the_clock(schedule_db, event):
    with schedule_db.transaction() as session:
        found = find_event(session, event)
        set_live_status(
            session, found, find_session(session, found, _id(session, "noon")), "on_air"
        )
        set_live_status(
            session, found, find_session(session, found, _id(session, "morning")), "ended"
        )
    day, _ = day_at_hand(schedule_db, event, "2024-04-29 09:55")
    assert day[2] == {"morning": OVER, "noon": RUNNING, "night": UPCOMING}


def test_nothing_published_yet(schedule_db, import_document):
    with schedule_db.transaction() as session:
        found = import_document(session, make_document(SESSIONS, slug="draft")).event
        overview = programme_overview(session, found)
    assert overview.release is None and overview.day is None and not overview.over


def _id(session, guid: str) -> int:
    from sqlalchemy import select

    from services.schedule.models import ProgrammeSession

    return session.scalar(select(ProgrammeSession.id).where(ProgrammeSession.guid == guid))


# -- the page ------------------------------------------------------------------------------------


def overview_page(client, event: str, role: str | None, lang: str = "de"):
    principal = Principal("erika") if role is None else Principal("erika", "bochum", role)
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(principal))
    return client.get(f"/{event}/organiser/overview?lang={lang}", headers={"Accept": "text/html"})


@pytest.fixture
def owned_event(schedule_db, event):
    with schedule_db.transaction() as session:
        create_organisation(session, "bochum", "Bochum")
        set_owner(session, find_event(session, event), "bochum")
        for name in ("erika", "hanna"):
            set_organiser_password(session, OrganiserAccount, name, "correct horse battery")
    return event


def test_the_owner_sees_where_registration_and_notify_add_their_part(client, owned_event):
    page = overview_page(client, owned_event, "owner")
    assert page.status_code == 200
    assert "Was Aufmerksamkeit braucht" in page.text
    assert f"/{owned_event}/organiser/attention?lang=de" in page.text
    # Without JavaScript, the links to the pages themselves.
    assert f"/{owned_event}/organiser/registrations" in page.text
    assert f"/{owned_event}/organiser/mails?state=failed" in page.text
    assert "organiser.js" in page.text


def test_the_door_sees_the_day_but_neither_counts_nor_mails_nor_the_draft(
    client, owned_event, schedule_db
):
    with schedule_db.transaction() as session:
        found = find_event(session, owned_event)
        found.title = "Testwoche (neu)"
    page = overview_page(client, owned_event, "door", lang="en")
    assert page.status_code == 200
    assert "organiser/attention" not in page.text
    assert "unpublished" not in page.text
    assert "Nothing for your role." in page.text
    owner = overview_page(client, owned_event, "owner", lang="en")
    assert "1 unpublished change in the draft." in owner.text


def test_another_organisations_member_finds_no_such_event(client, owned_event):
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("hanna", "herne", "owner")))
    page = client.get(f"/{owned_event}/organiser/overview", headers={"Accept": "text/html"})
    assert page.status_code == 404


def test_the_drafts_unpublished_changes_as_a_fragment_for_the_other_services(
    client, owned_event, schedule_db, schedule_app
):
    with schedule_db.transaction() as session:
        find_event(session, owned_event).title = "Testwoche (neu)"
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("erika", "bochum", "programme")))
    registration = schedule_app.extensions["todo_config"].service_urls["registration"]
    answer = client.get(
        f"/{owned_event}/organiser/pending?lang=en",
        headers={"Accept": "text/html", "Origin": registration},
    )
    assert answer.status_code == 200
    assert "1 unpublished change in the draft." in answer.text
    assert f"/{owned_event}/organiser/publish" in answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == registration
    assert answer.headers["Cache-Control"] == "no-store"
    # Another site's page may not read it.
    stranger = client.get(
        f"/{owned_event}/organiser/pending", headers={"Origin": "https://evil.example"}
    )
    assert stranger.headers["Access-Control-Allow-Origin"] != "https://evil.example"
    assert overview_page(client, owned_event, "door").status_code == 200
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("erika", "bochum", "door")))
    assert client.get(f"/{owned_event}/organiser/pending").status_code == 403
