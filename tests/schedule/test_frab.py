"""frab schedule.xml / schedule.json: exports valid against the C3VOC schemas, imports, round trips."""

from __future__ import annotations

import copy
import json
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from services.schedule.commands import BUNDLED_PROGRAMME
from services.schedule.frab.conventions import CANCELLED_PREFIX, GUID_NAMESPACE
from services.schedule.frab.export import render_schedule_json, render_schedule_xml
from services.schedule.frab.reading import FrabFormatError, parse_frab
from services.schedule.programme_format import load_programme_document
from shared.messages.schedule import ReleasePublishedSchema

HERE = Path(__file__).parent
SCHEMAS = HERE / "schemas"
FIXTURES = HERE / "fixtures"
FORMATS = {"schedule.xml": render_schedule_xml, "schedule.json": render_schedule_json}


# --- helpers and fixtures ----------------------------------------------------------------------


def release_from_document(document: dict, number: int = 1) -> dict:
    """The `schedule.release.published` data (dumped JSON form) of a loaded programme document."""
    stages = {stage["guid"]: stage for stage in document["stages"]}
    tracks = {track["slug"]: track for track in document["tracks"]}
    sessions = [
        {
            **session,
            "id": index,
            "stage": stages[session["stage"]],
            "tracks": [tracks[slug] for slug in session["tracks"]],
        }
        for index, session in enumerate(document["sessions"], start=1)
    ]
    return ReleasePublishedSchema().dump(
        {
            "event": document["event"],
            "release": {
                "number": number,
                "comment": "",
                "published_at": datetime(2024, 4, 20, 8, 0, tzinfo=UTC),
            },
            "sessions": sessions,
            "changes": [],
        }
    )


def session_by_title(document: dict, start: str) -> dict:
    return next(s for s in document["sessions"] if s["title"].startswith(start))


def programme_view(document: dict) -> tuple[dict, dict]:
    """What a programme means to attendees, independent of how a file stores it."""
    stages = {stage["guid"]: stage for stage in document["stages"]}
    track_names = {track["slug"]: track["name"] for track in document["tracks"]}
    sessions = {}
    for session in document["sessions"]:
        stage = stages[session["stage"]]
        registration = session["registration"]
        capacity = None
        if registration["mode"] == "required":
            capacity = registration["capacity"]
            if capacity is None:
                capacity = stage["capacity"]
        livestream = (
            (session["livestream_url"] or stage["stream_url"]) if session["streamed"] else ""
        )
        sessions[session["guid"]] = {
            "title": session["title"],
            "title_en": session["title_en"],
            "abstract": session["abstract"],
            "abstract_en": session["abstract_en"],
            "type": session["type"],
            "language": session["language"],
            "tracks": sorted(track_names[slug] for slug in session["tracks"]),
            "stage": (stage["guid"], stage["name"]),
            "starts_at": session["starts_at"].astimezone(UTC),
            "ends_at": session["ends_at"].astimezone(UTC),
            "speakers": [(speaker["guid"], speaker["name"]) for speaker in session["speakers"]],
            "streamed": session["streamed"],
            "livestream": livestream,
            "registration": (registration["mode"], capacity, registration["external"]),
            "status": session["status"],
        }
    event = {
        key: document["event"][key]
        for key in ("slug", "title", "timezone", "starts_on", "ends_on", "url")
    }
    return event, sessions


@pytest.fixture(scope="module")
def xml_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))


@pytest.fixture(scope="module")
def json_validator():
    schema = json.loads((SCHEMAS / "schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@pytest.fixture
def bundled_programme():
    return load_programme_document(json.loads(BUNDLED_PROGRAMME.read_text()))


@pytest.fixture
def create_programme(bundled_programme):
    """A changed copy of the bundled programme: cancelled titles, capacity overrides, times."""

    def create(cancelled=(), capacities=None, times=None):
        document = copy.deepcopy(bundled_programme)
        for title in cancelled:
            session_by_title(document, title)["status"] = "cancelled"
        for title, capacity in (capacities or {}).items():
            session_by_title(document, title)["registration"]["capacity"] = capacity
        for title, (starts_at, ends_at) in (times or {}).items():
            session = session_by_title(document, title)
            session["starts_at"], session["ends_at"] = starts_at, ends_at
        return document

    return create


def assert_valid(content: bytes, filename: str, xml_schema, json_validator) -> None:
    if filename.endswith(".xml"):
        xml_schema.assertValid(etree.fromstring(content))
    else:
        json_validator.validate(json.loads(content))


# --- the bundled programme ---------------------------------------------------------------------


def test_bundled_programme_has_the_sessions_the_source_names(bundled_programme):
    programme = bundled_programme
    assert programme["event"]["slug"] == "todo2024"
    stages = {stage["name"]: stage for stage in programme["stages"]}
    assert stages["Baseology"]["capacity"] == 40
    main_stage = stages["Baseology"]["guid"]

    opening = session_by_title(programme, "Eröffnung")
    assert opening["starts_at"].isoformat() == "2024-04-29T13:00:00+02:00"
    assert {s["name"] for s in opening["speakers"]} == {
        "Thomas Westphal",
        "Heike Marzen",
        "Prof. Jürgen Howaldt",
    }
    migration = session_by_title(programme, "Brücken bauen: Migration als Chance")
    assert (migration["starts_at"].hour, migration["ends_at"].hour) == (14, 15)
    assert len(migration["speakers"]) == 5
    training = session_by_title(programme, "Perspektive Weiterbildung: Quo vadis")
    assert training["starts_at"].isoformat() == "2024-04-30T16:00:00+02:00"
    assert len(training["speakers"]) == 4
    assert session_by_title(programme, "BARSession")["starts_at"].day == 3

    for session in programme["sessions"]:
        assert session["title_en"], session["title"]
        assert session["starts_at"].date().isoformat() != "2024-05-01", "1 May is a holiday"
        if session["stage"] == main_stage:
            assert session["registration"]["mode"] == "required"
            assert session["streamed"] is True

    assert session_by_title(programme, "Arbeitswelt im Wandel")["registration"]["mode"] == "none"
    breakfast = session_by_title(programme, "PEAG Frühstück am See")
    assert breakfast["registration"] == {
        "mode": "external",
        "capacity": None,
        "external": "kommunikation@peag-online.de",
    }
    assert breakfast["starts_at"].isoformat() == "2024-04-30T09:00:00+02:00"


# --- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", FORMATS)
def test_export_of_the_bundled_programme_is_valid(
    filename, create_programme, xml_schema, json_validator
):
    release = release_from_document(create_programme(cancelled=["Vereinbarkeit"]))
    assert_valid(FORMATS[filename](release), filename, xml_schema, json_validator)


def test_json_export_has_rooms_with_capacity_and_an_acronym_the_schema_accepts(bundled_programme):
    document = json.loads(render_schedule_json(release_from_document(bundled_programme)))
    conference = document["schedule"]["conference"]
    assert conference["acronym"] == "todo2024"
    rooms = {room["name"]: room for room in conference["rooms"]}
    assert rooms["Baseology"]["capacity"] == 40
    assert rooms["PEAG am Phoenixsee"]["capacity"] is None
    assert conference["days"][0]["day_start"] == "2024-04-29T04:00:00+02:00"
    assert conference["days"][0]["day_end"] == "2024-04-30T03:59:00+02:00"
    assert [day["date"] for day in conference["days"]] == [
        "2024-04-29",
        "2024-04-30",
        "2024-05-01",
        "2024-05-02",
        "2024-05-03",
    ]
    assert conference["days"][2]["rooms"] == {}


@pytest.mark.parametrize("slug", ["bochum-2025", "oh", "herne-woche-der-arbeit"])
def test_slugs_with_hyphens_or_few_letters_give_valid_acronyms(
    slug, bundled_programme, xml_schema, json_validator
):
    bundled_programme["event"]["slug"] = slug
    release = release_from_document(bundled_programme)
    for filename, render in FORMATS.items():
        content = render(release)
        assert_valid(content, filename, xml_schema, json_validator)
        assert parse_frab(content, filename)["event"]["slug"] == slug


@pytest.mark.parametrize("filename", FORMATS)
def test_export_is_deterministic_whatever_the_order_of_the_release(filename, bundled_programme):
    release = release_from_document(bundled_programme)
    shuffled = copy.deepcopy(release)
    random.Random(4).shuffle(shuffled["sessions"])
    assert shuffled["sessions"] != release["sessions"]
    render = FORMATS[filename]
    untouched = copy.deepcopy(release)
    assert render(release) == render(untouched) == render(shuffled)
    assert release == untouched, "rendering must not change the release it is given"


@pytest.mark.parametrize("filename", FORMATS)
def test_cancelled_sessions_stay_visible_marked_cancelled(filename, create_programme):
    release = release_from_document(create_programme(cancelled=["Pflegeversorgung sichern"]))
    content = FORMATS[filename](release)
    expected = (
        CANCELLED_PREFIX + "Pflegeversorgung sichern: Eine gemeinsame Initiative für Dortmund"
    )
    if filename.endswith(".xml"):
        titles = [t.text for t in etree.fromstring(content).iter("title")]
    else:
        days = json.loads(content)["schedule"]["conference"]["days"]
        titles = [e["title"] for d in days for events in d["rooms"].values() for e in events]
    assert expected in titles
    assert len(titles) == len(release["sessions"]) + (1 if filename.endswith(".xml") else 0)


def test_external_registration_and_livestream_are_links(bundled_programme):
    days = json.loads(render_schedule_json(release_from_document(bundled_programme)))
    events = {
        event["title"]: event
        for day in days["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    }
    breakfast = next(e for title, e in events.items() if title.startswith("PEAG"))
    assert {"title": "Anmeldung extern / External registration", "type": "web"}.items() <= (
        breakfast["links"][0].items()
    )
    assert breakfast["links"][0]["url"] == "mailto:kommunikation@peag-online.de"
    assert breakfast["do_not_stream"] is True
    migration = next(e for title, e in events.items() if title.startswith("Brücken bauen"))
    assert [link["title"] for link in migration["links"]] == [
        "Anmeldung erforderlich (40 Plätze) / Registration required (40 seats)",
        "Livestream",
    ]
    assert migration["subtitle"].startswith("Building bridges")
    assert migration["track"] == "Deglobalisierung / Demografie"


def test_daylight_saving_change_gives_the_right_offsets_and_durations(create_programme, xml_schema):
    # 27 October 2024, 03:00 CEST -> 02:00 CET in Europe/Berlin.
    document = create_programme(
        times={
            "Vereinbarkeit": (
                datetime.fromisoformat("2024-10-26T10:00:00+02:00"),
                datetime.fromisoformat("2024-10-26T11:00:00+02:00"),
            ),
            "Babyboomer": (
                datetime.fromisoformat("2024-10-27T10:00:00+01:00"),
                datetime.fromisoformat("2024-10-27T11:00:00+01:00"),
            ),
            # Across the change: 01:30 CEST to 03:30 CET is three hours.
            "BARSession": (
                datetime.fromisoformat("2024-10-26T23:30:00+00:00"),
                datetime.fromisoformat("2024-10-27T02:30:00+00:00"),
            ),
        }
    )
    document["event"]["ends_on"] = document["event"]["ends_on"].replace(month=10, day=28)
    release = release_from_document(document)
    root = etree.fromstring(render_schedule_xml(release))
    xml_schema.assertValid(root)
    events = {e.findtext("title"): e for e in root.iter("event")}

    before = events["Vereinbarkeit von Privatleben und Beruf"]
    assert before.findtext("date") == "2024-10-26T10:00:00+02:00"
    after = events["Babyboomer länger im Arbeitsmarkt halten"]
    assert after.findtext("date") == "2024-10-27T10:00:00+01:00"
    assert after.findtext("duration") == "01:00"
    night = events["BARSession: KI in der Arbeitswelt"]
    assert night.findtext("date") == "2024-10-27T01:30:00+02:00"
    assert night.findtext("start") == "01:30"
    assert night.findtext("duration") == "03:00"
    # Before the 04:00 day change, so it belongs to the 26th.
    assert night.getparent().getparent().get("date") == "2024-10-26"
    day_27 = root.find("day[@date='2024-10-27']")
    assert day_27.get("start") == "2024-10-27T04:00:00+01:00"
    assert root.find("day[@date='2024-10-26']").get("end") == "2024-10-27T03:59:00+01:00"

    for filename, render in FORMATS.items():
        parsed = parse_frab(render(release), filename)
        assert programme_view(parsed)[1] == programme_view(document)[1]
        session = session_by_title(parsed, "BARSession")
        assert session["ends_at"].isoformat() == "2024-10-27T03:30:00+01:00"


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", FORMATS)
def test_export_then_import_gives_the_same_programme(filename, create_programme):
    document = create_programme(
        cancelled=["Vereinbarkeit"],
        capacities={"BARSession": 25},
    )
    parsed = parse_frab(FORMATS[filename](release_from_document(document)), filename)

    assert programme_view(parsed) == programme_view(document)
    stages = {stage["guid"]: stage for stage in parsed["stages"]}
    main_stage = stages["2ddc6eab-293e-4112-acbf-54b0a00bd24d"]
    assert (main_stage["capacity"], main_stage["stream_url"]) == (40, "https://todo-dortmund.de")
    assert session_by_title(parsed, "BARSession")["registration"]["capacity"] == 25
    assert session_by_title(parsed, "Vereinbarkeit")["status"] == "cancelled"
    assert {t["slug"]: t["color"] for t in parsed["tracks"]} == {
        t["slug"]: t["color"] for t in document["tracks"] if t["slug"] in _used_tracks(document)
    }


def _used_tracks(document: dict) -> set[str]:
    return {slug for session in document["sessions"] for slug in session["tracks"]}


def test_json_round_trip_keeps_addresses_and_speaker_details(bundled_programme):
    parsed = parse_frab(
        render_schedule_json(release_from_document(bundled_programme)), "schedule.json"
    )
    assert {s["guid"]: s["address"] for s in parsed["stages"]} == {
        s["guid"]: s["address"] for s in bundled_programme["stages"]
    }
    for session in bundled_programme["sessions"]:
        assert session_by_title(parsed, session["title"])["speakers"] == session["speakers"]


@pytest.mark.parametrize("filename", FORMATS)
def test_export_import_export_gives_the_same_file(filename, bundled_programme):
    render = FORMATS[filename]
    first = render(release_from_document(bundled_programme))
    parsed = parse_frab(first, filename)
    # The schedule service numbers sessions itself; give them the first release's ids.
    ids = {s["guid"]: i for i, s in enumerate(bundled_programme["sessions"], start=1)}
    parsed["sessions"].sort(key=lambda session: ids[session["guid"]])
    assert render(release_from_document(parsed)) == first


# --- importing files of other tools ------------------------------------------------------------


def test_pretalx_fixtures_are_valid_against_the_schemas(xml_schema, json_validator):
    for path in sorted(FIXTURES.glob("pretalx-*")):
        assert_valid(path.read_bytes(), path.name, xml_schema, json_validator)


@pytest.fixture
def pretalx_xml():
    path = FIXTURES / "pretalx-nextwork24-schedule.xml"
    return parse_frab(path.read_bytes(), path.name)


@pytest.fixture
def pretalx_json():
    path = FIXTURES / "pretalx-nextwork24-schedule.json"
    return parse_frab(path.read_bytes(), path.name)


def test_pretalx_schedule_xml_imports(pretalx_xml):
    programme = pretalx_xml
    assert programme["event"]["slug"] == "nextwork24"
    assert programme["event"]["title"] == "NextWork Ruhr 2024"
    assert [stage["name"] for stage in programme["stages"]] == ["Hörsaal 1", "Werkstatt"]
    assert len(programme["sessions"]) == 6
    keynote = session_by_title(programme, "Arbeit im Ruhrgebiet 2035")
    assert keynote["guid"] == "fb5f5b84-5a53-5d18-8ab4-22062fe8831c"
    assert keynote["stage"] == "635a6e7e-1338-573b-9977-f2a61e12a29a"
    assert keynote["tracks"] == ["demografie"]
    assert keynote["abstract"].endswith("Beispielen aus Dortmund, Bochum und Gelsenkirchen.")
    # No capacity in schedule.xml: nothing says registration is needed.
    assert keynote["registration"]["mode"] == "none"
    # pretalx gives person ids, not guids: the same person gets the same stable guid.
    closing = session_by_title(programme, "Abschluss")
    assert closing["speakers"][0]["guid"] == keynote["speakers"][0]["guid"]
    assert uuid.UUID(closing["speakers"][0]["guid"]).version == 5
    night = session_by_title(programme, "Nachtschicht")
    assert night["starts_at"].isoformat() == "2024-09-13T00:30:00+02:00"
    assert night["tracks"] == []


def test_pretalx_schedule_json_imports_capacities_as_required_registration(pretalx_json):
    stages = {stage["name"]: stage for stage in pretalx_json["stages"]}
    assert stages["Hörsaal 1"]["capacity"] == 120
    assert stages["Werkstatt"]["capacity"] == 25
    assert stages["Hörsaal 1"]["address"] == "Gebäude A, Erdgeschoss"
    for session in pretalx_json["sessions"]:
        assert session["registration"] == {"mode": "required", "capacity": None, "external": None}
    tracks = {track["slug"]: track["color"] for track in pretalx_json["tracks"]}
    assert tracks["neue-arbeit"] == "#7768ae"
    speaker = session_by_title(pretalx_json, "KI im Mittelstand")["speakers"][1]
    assert speaker == {
        "guid": "4864671c-d8f3-5fe2-841a-1dc5bffe2daa",
        "name": "Fatma Yilmaz",
        "organisation": "",
        "role": "",
        "biography": "Geschäftsführerin eines Maschinenbaubetriebs.",
    }


def test_pretalx_xml_and_json_describe_the_same_sessions(pretalx_xml, pretalx_json):
    def sessions(programme):
        return {
            s["guid"]: (s["title"], s["starts_at"], s["ends_at"], s["stage"], s["tracks"])
            for s in programme["sessions"]
        }

    assert sessions(pretalx_xml) == sessions(pretalx_json)


def test_frab_schedule_json_imports():
    path = FIXTURES / "frab-werkschau2024-schedule.json"
    programme = parse_frab(path.read_bytes(), path.name)
    assert programme["event"]["slug"] == "werkschau2024"
    history = session_by_title(programme, "Zechen, Labore und die vier D")
    # frab's subtitle and description are German text: kept in the abstract, in order.
    assert history["abstract"] == (
        "Was der Strukturwandel im Revier lehrt\n\n"
        "Vom Bergbau zur Wissensarbeit: eine Geschichte in fünf Bildern.\n\n"
        "Mit Archivmaterial\naus drei Städten."
    )
    assert history["title_en"] == ""
    assert history["registration"]["mode"] == "none"
    assert programme["tracks"][0] == {
        "slug": "wandel-region",
        "name": "Wandel & Region",
        "color": "",
    }
    training = session_by_title(programme, "Ausbildung 4.0")
    assert training["speakers"][0]["guid"] == history["speakers"][0]["guid"]
    night = session_by_title(programme, "Nachtschicht live")
    assert night["starts_at"].isoformat() == "2024-11-09T00:15:00+01:00"
    assert night["ends_at"].isoformat() == "2024-11-09T01:15:00+01:00"


def _minimal_json(rooms=None, event_extra=None, conference_extra=None) -> dict:
    event = {
        "id": 7,
        "guid": "0b7c3c1e-7a57-4f55-9d55-1f4ad1b0d1a1",
        "date": "2025-05-05T10:00:00+02:00",
        "start": "10:00",
        "duration": "01:00",
        "room": "Saal",
        "title": "Ein Vortrag",
        **(event_extra or {}),
    }
    conference = {
        "acronym": "mini2025",
        "title": "Mini",
        "start": "2025-05-05",
        "end": "2025-05-05",
        "time_zone_name": "Europe/Berlin",
        "rooms": rooms if rooms is not None else [],
        "days": [{"index": 1, "date": "2025-05-05", "rooms": {"Saal": [event]}}],
        **(conference_extra or {}),
    }
    return {"schedule": {"version": "1", "conference": conference}}


def _parse_json(document: dict) -> dict:
    return parse_frab(json.dumps(document).encode(), "schedule.json")


def test_room_capacity_means_registration_required_with_the_stage_capacity():
    programme = _parse_json(
        _minimal_json(
            rooms=[{"name": "Saal", "guid": "5d0f0c52-3c1b-4a54-b1a4-d5b4c7f1e2a3", "capacity": 30}]
        )
    )
    assert programme["stages"][0]["capacity"] == 30
    assert programme["stages"][0]["guid"] == "5d0f0c52-3c1b-4a54-b1a4-d5b4c7f1e2a3"
    assert programme["sessions"][0]["registration"] == {
        "mode": "required",
        "capacity": None,
        "external": None,
    }


def test_without_capacity_no_registration_and_stable_derived_guids():
    document = _minimal_json(event_extra={"guid": None})
    first, second = _parse_json(document), _parse_json(document)
    session, stage = first["sessions"][0], first["stages"][0]
    assert session["registration"]["mode"] == "none"
    assert session["guid"] == str(uuid.uuid5(GUID_NAMESPACE, "mini2025/event/7"))
    assert stage["guid"] == str(uuid.uuid5(GUID_NAMESPACE, "mini2025/room/Saal"))
    assert (session["guid"], stage["guid"]) == (
        second["sessions"][0]["guid"],
        second["stages"][0]["guid"],
    )


def test_end_without_duration_and_times_without_offset_are_understood():
    programme = _parse_json(
        _minimal_json(
            event_extra={"date": "2025-05-05T10:00:00", "duration": None, "end": "2025-05-05T11:15"}
        )
    )
    session = programme["sessions"][0]
    assert session["starts_at"].isoformat() == "2025-05-05T10:00:00+02:00"
    assert session["ends_at"].isoformat() == "2025-05-05T11:15:00+02:00"


def test_rooms_sharing_a_guid_become_separate_stages():
    shared = "b379c473-93b9-4eae-9a09-d482e86cede3"
    document = _minimal_json(
        rooms=[{"name": "Saal", "guid": shared}, {"name": "Foyer", "guid": shared}]
    )
    foyer_event = {
        **document["schedule"]["conference"]["days"][0]["rooms"]["Saal"][0],
        "guid": "7d6a3a43-5b2f-4c0e-9f7e-3c4d2e1f0a9b",
        "room": "Foyer",
    }
    document["schedule"]["conference"]["days"][0]["rooms"]["Foyer"] = [foyer_event]
    programme = _parse_json(document)
    assert len({stage["guid"] for stage in programme["stages"]}) == 2
    assert {s["stage"] for s in programme["sessions"]} == {s["guid"] for s in programme["stages"]}


BAD_FILES = [
    ("schedule.xml", b"<schedule><conference>", "not well-formed XML"),
    ("schedule.xml", b"<?xml version='1.0'?><programme/>", "not <schedule>"),
    ("schedule.xml", b"<schedule><version>1</version></schedule>", "no <conference>"),
    (
        "schedule.xml",
        b"<schedule><conference><acronym>abcd</acronym><title>T</title></conference></schedule>",
        "no <day>",
    ),
    ("schedule.json", b"{not json", "not valid JSON"),
    ("schedule.json", b"[1, 2]", "no schedule.conference"),
    ("upload.bin", b"\x00\x01binary", "neither a schedule.xml nor a schedule.json"),
    ("schedule.json", _minimal_json(event_extra={"title": ""}), "no title"),
    ("schedule.json", _minimal_json(event_extra={"duration": "ninety"}), "not a duration"),
    ("schedule.json", _minimal_json(event_extra={"duration": "00:00"}), "longer than 0"),
    ("schedule.json", _minimal_json(event_extra={"date": "2025-13-45T10:00"}), "not a date"),
    (
        "schedule.json",
        _minimal_json(event_extra={"date": None, "start": None}),
        "no start time",
    ),
    (
        "schedule.json",
        _minimal_json(conference_extra={"time_zone_name": "Mars/Olympus"}),
        "unknown time zone",
    ),
    ("schedule.json", _minimal_json(conference_extra={"days": []}), "days is empty"),
    ("schedule.json", _minimal_json(conference_extra={"acronym": None}), "no acronym"),
    (
        "schedule.json",
        _minimal_json(rooms=[{"name": "Saal", "guid": "x", "capacity": -3}]),
        "not a number of seats",
    ),
    (
        "schedule.json",
        _minimal_json(event_extra={"guid": "x" * 80}),
        "does not make a valid programme",
    ),
]


@pytest.mark.parametrize(("filename", "content", "message"), BAD_FILES)
def test_bad_files_raise_a_readable_frab_format_error(filename, content, message):
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    with pytest.raises(FrabFormatError) as raised:
        parse_frab(content, filename)
    assert isinstance(raised.value, ValueError)
    assert message in str(raised.value)
    assert str(raised.value).startswith(filename)


def test_duplicate_guids_are_refused():
    document = _minimal_json()
    day = document["schedule"]["conference"]["days"][0]
    day["rooms"]["Saal"].append(
        {**day["rooms"]["Saal"][0], "id": 8, "date": "2025-05-05T12:00:00+02:00"}
    )
    with pytest.raises(FrabFormatError, match="share a guid"):
        _parse_json(document)
