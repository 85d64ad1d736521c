"""Public reads: the programme API and the frab exports, served from stored renderings with
strong ETags, Last-Modified, 304s, Cache-Control and CORS."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import jsonschema
import pytest
from lxml import etree
from werkzeug.http import http_date, parse_date

from services.schedule.draft import create_track, find_event, list_sessions, update_session
from services.schedule.reads import ExportStore
from services.schedule.releases import publish_release

SCHEMAS = Path(__file__).parent / "schemas"
PATHS = ["/api/v1/events/{e}/programme", "/{e}/schedule.xml", "/{e}/schedule.json"]


def paths(slug: str) -> list[str]:
    return [path.format(e=slug) for path in PATHS]


def republish_with_title(db, slug: str, title: str) -> None:
    with db.transaction() as session:
        event = find_event(session, slug)
        update_session(session, list_sessions(session, event)[0], {"title": title})
        publish_release(session, event)


@pytest.mark.parametrize("path", PATHS)
def test_exports_have_strong_etag_cache_headers_and_cors(client, published_event, path):
    response = client.get(path.format(e=published_event))
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    assert parse_date(response.headers["Last-Modified"]) is not None
    assert response.data

    again = client.get(path.format(e=published_event))
    assert again.headers["ETag"] == etag
    assert again.data == response.data


@pytest.mark.parametrize("path", PATHS)
def test_conditional_gets_answer_304(client, published_event, path):
    url = path.format(e=published_event)
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    by_etag = client.get(url, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    assert by_etag.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": http_date(0)}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110).
    stale = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert stale.status_code == 200


def test_a_new_release_changes_the_etag_of_every_export(client, schedule_db, published_event):
    before = {url: client.get(url).headers["ETag"] for url in paths(published_event)}
    republish_with_title(schedule_db, published_event, "Neuer Titel")
    for url, etag in before.items():
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200, url
        assert response.headers["ETag"] != etag
        assert "Neuer Titel" in response.data.decode()


def test_unknown_event_or_nothing_published_is_404(client, schedule_db, document, import_document):
    with schedule_db.transaction() as session:
        import_document(session, document, "unpublished")
    for slug in ("nope", "unpublished"):
        for url in paths(slug):
            response = client.get(url)
            assert response.status_code == 404
            assert response.json["code"] == 404


def test_programme_api_gives_what_attendees_need(client, published_event):
    programme = client.get(f"/api/v1/events/{published_event}/programme").json
    assert programme["event"]["slug"] == published_event
    assert programme["release"]["number"] == 1
    opening = next(s for s in programme["sessions"] if s["guid"] == "opening")
    assert isinstance(opening["id"], int)
    assert opening["starts_at"] == "2024-04-29T13:00:00+02:00"
    assert opening["ends_at"] == "2024-04-29T14:30:00+02:00"
    assert opening["stage"]["name"] == "Baseology"
    assert opening["tracks"] == [{"slug": "demografie", "name": "Demografie", "color": "#e4572e"}]
    assert opening["speakers"][0]["organisation"] == "Stadt Dortmund"
    assert opening["livestream_url"] == "https://stream.example/main"
    assert opening["registration"] == {"mode": "required", "capacity": 40, "external": None}
    assert opening["status"] == "scheduled"


def test_exports_validate_against_the_frab_schemas(client, published_event):
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))
    xml = etree.fromstring(client.get(f"/{published_event}/schedule.xml").data)
    assert xsd.validate(xml), xsd.error_log

    schema = json.loads((SCHEMAS / "schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    validator.validate(client.get(f"/{published_event}/schedule.json").json)


def test_events_list_shows_the_latest_release(client, schedule_db, published_event):
    republish_with_title(schedule_db, published_event, "Zwei")
    events = client.get("/api/v1/events").json
    assert [(e["slug"], e["latest_release"]) for e in events] == [(published_event, 2)]


def test_the_store_looks_up_the_latest_release_once_per_ttl(
    schedule_db, published_event, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr("services.schedule.reads.time.monotonic", lambda: clock[0])
    store = ExportStore(schedule_db, head_ttl=1.0)
    first = store.find(published_event, "schedule.xml")
    republish_with_title(schedule_db, published_event, "Neu")
    assert store.find(published_event, "schedule.xml") == first
    clock[0] += 1.5
    second = store.find(published_event, "schedule.xml")
    assert second.number == 2
    assert b"Neu" in store.body(second)
    assert store.find(published_event, "schedule.xml", number=1) == first
    assert store.find("nope", "schedule.xml") is None


@pytest.mark.parametrize("path", PATHS)
def test_gzip_is_a_representation_of_its_own(client, published_event, path):
    url = path.format(e=published_event)
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data)
    assert packed.headers["ETag"] != plain.headers["ETag"]
    assert client.get(url, headers={"Accept-Encoding": "gzip"}).data == packed.data
    conditional = {"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]}
    assert client.get(url, headers=conditional).status_code == 304
    assert client.get(url, headers={"If-None-Match": packed.headers["ETag"]}).status_code == 200


def test_reads_on_sqlite(make_database, make_config, document, import_document):
    from services.schedule.app import create_app

    db = make_database("schedule", "sqlite")
    with db.transaction() as session:
        publish_release(session, import_document(session, document).event)
    client = create_app(make_config(schedule_db=db)).test_client()
    for url in paths("testweek"):
        response = client.get(url)
        assert response.status_code == 200
        assert (
            client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
        )
        modified = {"If-Modified-Since": response.headers["Last-Modified"]}
        assert client.get(url, headers=modified).status_code == 304
    live = client.get(
        "/api/v1/events/testweek/live", query_string={"at": "2024-04-29T13:00:00+02:00"}
    )
    main = next(e for e in live.json["stages"] if e["stage"]["name"] == "Baseology")
    assert main["now"]["guid"] == "opening"


def test_public_reads_show_only_what_a_release_published(
    client, schedule_db, published_event, document, import_document, organiser_headers
):
    with schedule_db.transaction() as session:
        import_document(session, document, "entwurf")  # a draft, never published
        event = find_event(session, published_event)
        event.title = "Neuer Titel, noch nicht veröffentlicht"
        create_track(session, event, {"slug": "geheim", "name": "Geheim", "color": ""})
    assert [e["slug"] for e in client.get("/api/v1/events").json] == [published_event]
    for path in ("", "/tracks", "/releases", "/programme", "/live"):
        assert client.get(f"/api/v1/events/entwurf{path}").status_code == 404, path
        organiser = client.get(f"/api/v1/events/entwurf{path}", headers=organiser_headers)
        assert organiser.status_code == (200 if path in ("", "/tracks") else 404), path

    public = client.get(f"/api/v1/events/{published_event}")
    assert public.status_code == 200 and public.json["title"] == "Testwoche"
    tracks = client.get(f"/api/v1/events/{published_event}/tracks").json
    assert [t["slug"] for t in tracks] == ["demografie"]
    draft = client.get(f"/api/v1/events/{published_event}", headers=organiser_headers).json
    assert draft["title"] == "Neuer Titel, noch nicht veröffentlicht"
    draft_tracks = client.get(f"/api/v1/events/{published_event}/tracks", headers=organiser_headers)
    assert {t["slug"] for t in draft_tracks.json} == {"demografie", "digitalisierung", "geheim"}
    wrong = client.get(
        f"/api/v1/events/{published_event}/tracks", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
