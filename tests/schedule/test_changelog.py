"""Changes in words (issue 13): the publish preview and the public changelog list every changed
field with its old and new value in the page's language, a capacity change with a time change
included."""

from __future__ import annotations

import re
from html import unescape

from services.schedule.draft import find_event, list_sessions, update_session
from services.schedule.models import OrganiserAccount
from services.schedule.releases import publish_release
from shared.pages.organisers import organiser_session, set_organiser_password
from shared.permissions import Principal
from tests.support.schedule import berlin


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.text)))


def change_care(schedule_db, slug: str, changes: dict, comment: str) -> None:
    with schedule_db.transaction() as session:
        event = find_event(session, slug)
        care = next(s for s in list_sessions(session, event) if s.guid == "care")
        update_session(session, care, changes)
        if comment:
            publish_release(session, event, comment)


def test_seats_and_times_are_listed_old_and_new_in_both_languages(
    client, schedule_db, published_event
):
    change_care(
        schedule_db,
        published_event,
        {"registration": {"mode": "required", "capacity": 25}},
        "Weniger Plätze",
    )
    change_care(
        schedule_db,
        published_event,
        {
            "starts_at": berlin("2024-04-29 17:00"),
            "ends_at": berlin("2024-04-29 18:00"),
            "registration": {"mode": "required", "capacity": 40},
        },
        "",
    )
    # Before publishing: the organisers' preview (as a platform administrator's page).

    with schedule_db.transaction() as session:
        set_organiser_password(session, OrganiserAccount, "ops", "correct horse battery")
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("ops")))
    preview = text_of(client.get(f"/{published_event}/organiser/publish?lang=de"))
    assert "Beginn: Mo. 29. Apr. 2024, 15:30 → Mo. 29. Apr. 2024, 17:00" in preview
    assert "Plätze: 25 → 40" in preview

    with schedule_db.transaction() as session:
        publish_release(session, find_event(session, published_event), "Später")
    german = client.get(f"/{published_event}/changelog?lang=de")
    assert german.status_code == 200
    text = text_of(german)
    assert text.index("Release 3") < text.index("Release 2") < text.index("Release 1")
    assert "Weniger Plätze" in text and "Plätze: 40 → 25" in text
    assert "Beginn: Mo. 29. Apr. 2024, 15:30 → Mo. 29. Apr. 2024, 17:00" in text
    assert "Ende: Mo. 29. Apr. 2024, 16:30 → Mo. 29. Apr. 2024, 18:00" in text
    assert "Plätze: 25 → 40" in text and "registration" not in text
    english = text_of(client.get(f"/{published_event}/changelog?lang=en"))
    assert "Start: Mon 29 Apr 2024, 15:30 → Mon 29 Apr 2024, 17:00" in english
    assert "Seats: 25 → 40" in english


def test_a_changelog_exists_once_something_is_published(
    client, schedule_db, import_document, document
):
    with schedule_db.transaction() as session:
        import_document(session, document, "entwurf")
    assert client.get("/entwurf/changelog", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/nirgends/changelog", headers={"Accept": "text/html"}).status_code == 404
