"""Speakers: biographies through the draft API and imports, the published speaker pages (only
who is in the release), their order, links from sessions, frab persons, and the map link."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from services.schedule.draft import create_speaker, find_event, list_sessions, update_session
from services.schedule.releases import publish_release
from shared.errors import NothingChanged
from shared.messages.schedule import ReleasePublishedSchema
from tests.support.schedule import SIDE_STAGE, make_document
from tests.support.schedule import session_item as item

HTML = {"Accept": "text/html"}
WESTPHAL = {
    "guid": "westphal",
    "name": "Thomas Westphal",
    "organisation": "Stadt Dortmund",
    "role": "OB",
    "biography": "Oberbürgermeister seit 2020.\n\nVorher Wirtschaftsförderung.",
    "biography_en": "Lord mayor since 2020.",
}


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", response.text)).split())


@pytest.fixture
def speaker_event(schedule_db, import_document):
    sessions = [
        item("late", "2024-04-30 18:00", 60, title="Späte Runde", speakers=[WESTPHAL]),
        item(
            "early",
            "2024-04-29 10:00",
            60,
            stage=SIDE_STAGE,
            registration={"mode": "none"},
            title="Frühe Runde",
            speakers=[WESTPHAL, {"guid": "oek", "name": "Ökonomie Özdemir"}],
        ),
        item("other", "2024-04-29 13:00", 60, speakers=[{"guid": "ob", "name": "Oberhausen Ott"}]),
        item("zeta", "2024-04-29 15:00", 60, speakers=[{"guid": "zz", "name": "Zukunft Zander"}]),
        item("alpha", "2024-04-29 16:30", 60, speakers=[{"guid": "aa", "name": "Ärztin Abel"}]),
    ]
    with schedule_db.transaction() as session:
        event = import_document(session, make_document(sessions)).event
        publish_release(session, event)
    return "testweek"


def test_speakers_are_listed_alphabetically_with_umlauts_in_place(client, speaker_event):
    page = client.get(f"/{speaker_event}/speakers")
    assert page.status_code == 200
    names = re.findall(r'href="/testweek/speakers/[^"]+">([^<]+)</a>', page.text)
    assert names == [
        "Ärztin Abel",
        "Oberhausen Ott",
        "Ökonomie Özdemir",
        "Thomas Westphal",
        "Zukunft Zander",
    ]
    assert "Mitwirkende" in text_of(page)
    assert "OB, Stadt Dortmund" in text_of(page)


def test_speaker_page_in_german_and_english(client, speaker_event):
    page = client.get(f"/{speaker_event}/speakers/westphal")
    assert page.status_code == 200
    text = text_of(page)
    assert "Thomas Westphal" in text and "OB, Stadt Dortmund" in text
    assert "<p>Oberbürgermeister seit 2020.</p><p>Vorher Wirtschaftsförderung.</p>" in page.text
    # Sessions in time order, linked, with the venue's map link.
    assert text.index("Frühe Runde") < text.index("Späte Runde")
    assert re.search(r'href="/testweek/sessions/\d+">Frühe Runde</a>', page.text)
    assert "Prinzenstraße 11 · Karte" in text
    english = text_of(client.get(f"/{speaker_event}/speakers/westphal?lang=en"))
    assert "Lord mayor since 2020." in english and "Oberbürgermeister" not in english
    # Without an English biography the German one is shown.
    other = client.get(f"/{speaker_event}/speakers/oek?lang=en")
    assert other.status_code == 200 and "Ökonomie Özdemir" in text_of(other)


def test_session_page_links_speakers_and_the_map(client, schedule_db, speaker_event):
    with schedule_db.transaction() as session:
        early = next(
            p.id
            for p in list_sessions(session, find_event(session, speaker_event))
            if p.guid == "early"
        )
    page = client.get(f"/{speaker_event}/sessions/{early}")
    assert '<a href="/testweek/speakers/westphal"><strong>Thomas Westphal</strong></a>' in page.text
    # The street gets the event's town; umlauts stay, percent-encoded as UTF-8.
    assert (
        'href="https://www.openstreetmap.org/search?query='
        'Prinzenstra%C3%9Fe%2011%2C%2044137%20Dortmund"' in page.text
    )
    assert "Auf der Karte zeigen (OpenStreetMap)" in text_of(page)
    english = client.get(f"/{speaker_event}/sessions/{early}?lang=en")
    assert "Show on the map (OpenStreetMap)" in text_of(english)


@pytest.mark.parametrize(
    "guid",
    ["nobody", "westphal%00", "%ED%A0%80", "x" * 5000, "..%2F..%2Fetc", "%3Cscript%3E"],
)
def test_unknown_or_hostile_speaker_is_404(client, speaker_event, guid):
    page = client.get(f"/{speaker_event}/speakers/{guid}", headers=HTML)
    assert page.status_code in (400, 404)
    if page.status_code == 404 and "%2F" not in guid:  # a slash: no such route at all
        assert "Diese Person wirkt im Programm nicht mit." in text_of(page)


def test_a_speaker_only_in_the_draft_has_no_page(client, schedule_db, speaker_event):
    with schedule_db.transaction() as session:
        event = find_event(session, speaker_event)
        newcomer = create_speaker(session, event, {"guid": "neu", "name": "Neu Nachtrag"})
        late = next(p for p in list_sessions(session, event) if p.guid == "late")
        update_session(session, late, {"speakers": [s.id for s in late.speakers] + [newcomer.id]})
    assert client.get(f"/{speaker_event}/speakers/neu", headers=HTML).status_code == 404
    assert "Neu Nachtrag" not in text_of(client.get(f"/{speaker_event}/speakers"))
    with schedule_db.transaction() as session:
        publish_release(session, find_event(session, speaker_event))
    assert client.get(f"/{speaker_event}/speakers/neu").status_code == 200


def test_no_release_no_speakers(client, schedule_db, import_document):
    with schedule_db.transaction() as session:
        import_document(
            session, make_document([item("a", "2024-04-29 10:00", speakers=[WESTPHAL])])
        )
    assert client.get("/testweek/speakers", headers=HTML).status_code == 404
    assert client.get("/testweek/speakers/westphal", headers=HTML).status_code == 404


# -- biographies in the draft API, releases and exports -------------------------------------------


def test_biography_through_the_draft_api(client, organiser_headers):
    api = "/api/v1/events/woche"
    created = client.post(
        "/api/v1/events",
        json={
            "slug": "woche",
            "title": "Woche",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
        },
        headers=organiser_headers,
    )
    assert created.status_code == 201
    speaker = client.post(
        f"{api}/speakers",
        json={"name": "Heike Bettermann", "biography": "Leitet die Agentur."},
        headers=organiser_headers,
    )
    assert speaker.status_code == 201, speaker.json
    assert speaker.json["biography"] == "Leitet die Agentur."
    assert speaker.json["biography_en"] == ""
    changed = client.patch(
        f"{api}/speakers/{speaker.json['id']}",
        json={"biography_en": "Heads the agency."},
        headers=organiser_headers,
    )
    assert changed.status_code == 200
    assert changed.json["biography"] == "Leitet die Agentur."
    assert changed.json["biography_en"] == "Heads the agency."
    for body in (
        {"biography": "a\x00b"},
        {"biography": "\ud800"},
        {"biography_en": "x" * 5001},
        {"biography": 12},
    ):
        refused = client.patch(
            f"{api}/speakers/{speaker.json['id']}", json=body, headers=organiser_headers
        )
        assert refused.status_code == 422, body
        assert set(refused.json["errors"]) == set(body)


def test_releases_without_biographies_stay_as_they_were(schedule_db, import_document):
    sessions = [item("a", "2024-04-29 10:00", speakers=[{"guid": "x", "name": "Ohne Bio"}])]
    with schedule_db.transaction() as session:
        event = import_document(session, make_document(sessions)).event
        release = publish_release(session, event)
        speaker = release.data["sessions"][0]["speakers"][0]
        assert speaker == {"guid": "x", "name": "Ohne Bio", "organisation": "", "role": ""}
        # Nothing changed: no new release (old releases compare equal).
        with pytest.raises(NothingChanged):
            publish_release(session, event)
        # Release data from before biographies existed still loads.
        ReleasePublishedSchema().load(release.data)


def test_biography_in_release_and_frab_json(schedule_db, import_document, client):
    with schedule_db.transaction() as session:
        event = import_document(
            session, make_document([item("a", "2024-04-29 10:00", speakers=[WESTPHAL])])
        ).event
        release = publish_release(session, event)
        speaker = release.data["sessions"][0]["speakers"][0]
        assert speaker["biography"] == WESTPHAL["biography"]
        assert speaker["biography_en"] == WESTPHAL["biography_en"]
        ReleasePublishedSchema().load(release.data)
        # A re-import that says nothing about biographies keeps them.
        plain = {k: v for k, v in WESTPHAL.items() if not k.startswith("biography")}
        import_document(session, make_document([item("a", "2024-04-29 10:00", speakers=[plain])]))
        with pytest.raises(NothingChanged):
            publish_release(session, event)
    persons = json.loads(client.get("/testweek/schedule.json").data)["schedule"]["conference"]
    person = next(
        person
        for day in persons["days"]
        for room in day["rooms"].values()
        for talk in room
        for person in talk["persons"]
    )
    assert person["biography"] == WESTPHAL["biography"]
