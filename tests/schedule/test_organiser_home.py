"""The organiser's start page (issue 12): where the login leads, listing the events the
organiser works on, each with the pages its role offers, and nothing of other organisations."""

from __future__ import annotations

import re

import pytest

from services.schedule.models import OrganiserAccount
from services.schedule.organisations import create_organisation, set_owner
from shared.pages.organisers import organiser_session, set_organiser_password
from shared.permissions import Principal

# Each event lists the organiser pages of the navigation (`shared.pages.ORGANISER_PAGES`) that
# the role may use.
ROLE_LINKS = {
    "owner": {
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
    },
    "programme": {
        "Übersicht",
        "Sessions",
        "Orte",
        "Mitwirkende",
        "Veröffentlichen",
        "Live-Steuerung",
    },
    "registrations": {
        "Übersicht",
        "Anmeldungen",
        "Teilnehmende",
        "Statistik",
        "Nachrichten",
        "E-Mails",
    },
    "door": {"Übersicht", "Check-in"},
    "viewer": {"Übersicht", "Anmeldungen", "Statistik"},
}


@pytest.fixture
def two_organisations(schedule_db, document, import_document):
    """`bochum` owns the test programme's event and `bowo`; `herne` owns `hewo`."""
    with schedule_db.transaction() as session:
        create_organisation(session, "bochum", "Bochum – Arbeit der Zukunft")
        create_organisation(session, "herne", "Herne arbeitet")
        for slug, organisation in ((None, "bochum"), ("bowo", "bochum"), ("hewo", "herne")):
            set_owner(session, import_document(session, document, slug).event, organisation)
        for name in ("erika", "tuer", "ops"):
            set_organiser_password(session, OrganiserAccount, name, "correct horse battery")
    return document["event"]["slug"]


def signed_in(client, principal: Principal):
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(principal))
    return client.get("/organiser/", headers={"Accept-Language": "de"})


def links(page: str, event: str) -> set[str]:
    block = page.split(f"/{event}/programme", 1)[1].split("</nav>", 1)[0]
    return set(re.findall(r">([^<>]+)</a></li>", block))


@pytest.mark.parametrize("role", sorted(ROLE_LINKS))
def test_a_member_sees_its_organisations_events_with_its_roles_pages(
    client, two_organisations, role
):
    page = signed_in(client, Principal("erika", "bochum", role))
    assert page.status_code == 200
    assert "Bochum – Arbeit der Zukunft, Rolle:" in page.text
    assert f"/{two_organisations}/programme" in page.text and "/bowo/programme" in page.text
    assert "hewo" not in page.text
    assert links(page.text, "bowo") == ROLE_LINKS[role]


def test_a_member_limited_to_an_event_sees_only_that_one(client, two_organisations):
    page = signed_in(client, Principal("tuer", "bochum", "door", ("bowo",)))
    assert "/bowo/programme" in page.text
    assert f"/{two_organisations}/programme" not in page.text and "hewo" not in page.text


def test_a_platform_administrator_sees_every_event(client, two_organisations):
    page = signed_in(client, Principal("ops"))
    assert "Plattform-Administration" in page.text
    for slug in (two_organisations, "bowo", "hewo"):
        assert f"/{slug}/programme" in page.text


def test_without_a_login_the_page_asks_for_one(client):
    answer = client.get("/organiser/")
    assert answer.status_code == 303 and "/login?next=" in answer.headers["Location"]
