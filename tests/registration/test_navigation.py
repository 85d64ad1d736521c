"""The organiser navigation is one list in every service (issue 13): on registration's pages the
programme's pages are there too, and each role sees only the pages it may use."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.registration.models import EventOwner
from shared.organisations import record_owner
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from tests.support.registration import EVENT, session_info

HTML = {"Accept": "text/html", "Accept-Language": "de"}


@pytest.fixture
def registration(registration_db, publish_release, make_app):
    publish_release(registration_db, 1, [session_info(1)])
    with registration_db.transaction() as session:
        record_owner(session, EventOwner, EVENT, "dortmund", datetime.now(UTC))
    return make_app(registration_db).test_client()


def nav_labels(client, principal: Principal, path: str) -> list[str]:
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(principal))
    page = client.get(f"/{EVENT}{path}", headers=HTML)
    assert page.status_code == 200, page.text
    nav = re.search(r'<nav class="sub-nav".*?</nav>', page.text, re.S)[0]
    return re.findall(r">([^<>]+)</a>", nav)


def test_registrations_show_the_programmes_pages_to_an_owner(registration):
    labels = nav_labels(
        registration, Principal("erika", "dortmund", "owner"), "/organiser/check-in"
    )
    assert labels == [
        "Deine Veranstaltungen",
        "Übersicht",
        "Sessions",
        "Orte",
        "Mitwirkende",
        "Veröffentlichen",
        "Live-Steuerung",
        "Anmeldungen",
        "Teilnehmende",
        "Check-in",
        "Statistik",
        "Nachrichten",
        "E-Mails",
        "Protokoll",
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("door", ["Deine Veranstaltungen", "Übersicht", "Check-in"]),
        ("viewer", ["Deine Veranstaltungen", "Übersicht", "Anmeldungen", "Statistik"]),
        (
            "registrations",
            [
                "Deine Veranstaltungen",
                "Übersicht",
                "Anmeldungen",
                "Teilnehmende",
                "Statistik",
                "Nachrichten",
                "E-Mails",
            ],
        ),
    ],
)
def test_each_role_sees_only_its_pages(registration, role, expected):
    path = "/organiser/check-in" if role == "door" else "/organiser/registrations"
    assert nav_labels(registration, Principal("tuer", "dortmund", role), path) == expected


def test_the_programmes_unpublished_changes_are_asked_of_the_schedule_service(registration):
    def page(role: str) -> str:
        with registration.session_transaction() as cookie:
            cookie.update(organiser_session(Principal("erika", "dortmund", role)))
        return registration.get(f"/{EVENT}/organiser/check-in", headers=HTML).text

    assert f"/{EVENT}/organiser/pending?lang=de" in page("owner")
    assert "organiser.js" in page("owner")
    # The door may not edit the programme: nothing to ask.
    assert "/organiser/pending" not in page("door")
