"""Attendee links and feed tokens cannot be guessed or enumerated."""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import math
import re
import string
from html import escape, unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import String, select

from services.registration import codes as codes_module
from services.registration.models import Attendee, Ticket
from services.schedule.app import create_app as create_schedule_app
from services.schedule.frab.export import render_schedule_json, render_schedule_xml
from services.schedule.importer import import_programme, read_programme_file
from services.schedule.models import ApiToken as ScheduleToken
from services.schedule.models import Base as ScheduleBase
from services.schedule.models import (
    OrganiserAccount,
    ProgrammeSession,
    ReleaseExport,
    Stage,
)
from services.schedule.programme_format import load_programme_document
from services.schedule.releases import publish_release
from shared.auth import new_token, store_token
from shared.cli import main as todo
from shared.errors import Invalid
from shared.pages.organisers import set_organiser_password
from tests.support.schedule import make_document
from tests.support.security import EVENT, json_of, release

FIXTURES = Path(__file__).parent.parent / "schedule" / "fixtures"

URLSAFE = set(string.ascii_letters + string.digits + "-_")


def bits(token: str) -> float:
    assert set(token) <= URLSAFE, token
    return len(token) * 6


def manage_token(platform, address: str) -> str:
    """The token of the manage link that only the mail to `address` carries."""
    with platform.dbs["registration"].transaction() as session:
        return session.scalar(select(Attendee.manage_token).where(Attendee.email == address))


def registered(platform, count: int) -> list[dict]:
    answers = []
    for n in range(count):
        response = platform.register(f"Person {n}", f"person{n}@example.org")
        assert response.status_code == 201, response.get_data(as_text=True)
        answers.append(json_of(response))
    return answers


def test_manage_and_feed_tokens_are_long_random_and_carry_no_ids(platform):
    registered(platform, 20)
    with platform.dbs["registration"].transaction() as session:
        attendees = session.scalars(select(Attendee).order_by(Attendee.id)).all()
        codes = session.scalars(select(Ticket.code)).all()
        manage = [a.manage_token for a in attendees]
        feeds = [a.feed_token for a in attendees]
        ids = [a.id for a in attendees]
    for tokens in (manage, feeds, codes):
        assert len(set(tokens)) == len(tokens)
        assert not any(token.isdigit() for token in tokens)
    assert min(bits(t) for t in manage + feeds) >= 128
    # Check-in codes are short to type, and only accepted with an organiser token at the
    # check-in rate limit: 10 random characters of 31 (services.registration.codes).
    assert all(
        len(c) == codes_module.LENGTH and set(c) <= set(codes_module.ALPHABET) for c in codes
    )
    assert math.log2(len(codes_module.ALPHABET) ** codes_module.RANDOM_LENGTH) >= 49
    links = platform.apps["registration"].extensions["registration_links"]
    for attendee_id, token in zip(ids, manage, strict=True):
        path = urlsplit(links.manage_url(EVENT, token)).path
        assert path == f"/{EVENT}/manage/{token}"
        assert str(attendee_id) not in path.split("/")
    # Consecutive attendees' tokens are unrelated (no counter inside).
    for first, second in itertools.pairwise(manage + feeds):
        assert sum(a != b for a, b in zip(first, second, strict=False)) > len(first) // 2


def test_wrong_tokens_answer_the_same_404(platform):
    [answer] = registered(platform, 1)
    token = manage_token(platform, answer["email"])
    wrong = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "x" * len(token),
        "x",
        token.upper() if token.upper() != token else token.lower(),
    ]
    registration = platform.clients["registration"]
    notify = platform.clients["notify"]
    answers = {
        "api": [registration.get(f"/api/v1/manage/{w}") for w in wrong],
        "page": [registration.get(f"/{EVENT}/manage/{w}") for w in wrong],
        "feed": [notify.get(f"/{EVENT}/calendar/personal/{w}.ics") for w in wrong],
    }
    for kind, responses in answers.items():
        assert {r.status_code for r in responses} == {404}, kind
        if kind != "page":
            assert len({r.get_data() for r in responses}) == 1, kind
    assert registration.get(f"/api/v1/manage/{token}").status_code == 200


def test_one_attendees_link_cannot_touch_anothers_ticket(platform):
    first, second = registered(platform, 2)
    token = manage_token(platform, first["email"])
    with platform.dbs["registration"].transaction() as session:
        other_ticket = session.scalar(
            select(Ticket.id).join(Attendee).where(Attendee.email == second["email"])
        )
    response = platform.clients["registration"].post(
        f"/api/v1/manage/{token}/tickets/{other_ticket}/cancel"
    )
    assert response.status_code == 404
    with platform.dbs["registration"].transaction() as session:
        assert session.get(Ticket, other_ticket).status == "confirmed"


# -- links that could run script: only http(s) addresses are stored, imported or rendered ----------

SCRIPT_LINKS = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
]
CREDENTIALS_LINK = "https://organiser:secret@example.org/register"
NOT_PUBLISHABLE = [*SCRIPT_LINKS, CREDENTIALS_LINK, "//evil.example/"]
SCHEDULE_EVENT = "linkweek"


@pytest.fixture
def schedule(schedule_db, make_config):
    """The schedule app with one event and stage in its draft, and an organiser token."""
    token = new_token()
    with schedule_db.transaction() as session:
        store_token(session, ScheduleToken, "links", token)
    app = create_schedule_app(make_config(schedule_db=schedule_db))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    created = [
        client.post("/api/v1/events", json=EVENT_BODY),
        client.post(f"/api/v1/events/{SCHEDULE_EVENT}/stages", json={"guid": "main", "name": "A"}),
    ]
    assert [r.status_code for r in created] == [201, 201], [r.json for r in created]
    yield client
    app.extensions["todo_db"].dispose()


EVENT_BODY = {
    "slug": SCHEDULE_EVENT,
    "title": "Linkwoche",
    "starts_on": "2030-04-29",
    "ends_on": "2030-05-03",
}
SESSION_BODY = {
    "title": "Arbeit",
    "stage": "main",
    "starts_at": "2030-04-29T10:00:00+02:00",
    "ends_at": "2030-04-29T11:00:00+02:00",
}


@pytest.mark.parametrize("link", NOT_PUBLISHABLE)
def test_the_api_refuses_links_that_are_not_http_naming_the_field(schedule, schedule_db, link):
    base = f"/api/v1/events/{SCHEDULE_EVENT}"
    attempts = [
        (("url",), schedule.post("/api/v1/events", json=EVENT_BODY | {"slug": "x", "url": link})),
        (("url",), schedule.patch(base, json={"url": link})),
        (
            ("stream_url",),
            schedule.post(f"{base}/stages", json={"guid": "side", "name": "B", "stream_url": link}),
        ),
        (("stream_url",), schedule.patch(f"{base}/stages/main", json={"stream_url": link})),
        (
            ("livestream_url",),
            schedule.post(f"{base}/sessions", json=SESSION_BODY | {"livestream_url": link}),
        ),
        (
            ("registration", "external"),
            schedule.post(
                f"{base}/sessions",
                json=SESSION_BODY | {"registration": {"mode": "external", "external": link}},
            ),
        ),
    ]
    for path, response in attempts:
        assert response.status_code == 422, (path, response.json)
        errors = response.json["errors"]
        for key in path:
            errors = errors[key]
        assert errors, path
    assert not stored_values_containing(schedule_db, link.strip())


def stored_values_containing(db, text: str) -> list:
    found = []
    with db.transaction() as session:
        for table in ScheduleBase.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String):
                    found += session.execute(
                        select(column).where(column.contains(text, autoescape=True))
                    ).all()
    return found


def test_the_api_keeps_http_links_and_empty_ones(schedule):
    base = f"/api/v1/events/{SCHEDULE_EVENT}"
    stage = schedule.patch(f"{base}/stages/main", json={"stream_url": "https://stream.example/a"})
    assert stage.status_code == 200 and stage.json["stream_url"] == "https://stream.example/a"
    cleared = schedule.patch(f"{base}/stages/main", json={"stream_url": ""})
    assert cleared.status_code == 200 and cleared.json["stream_url"] == ""


def test_the_organiser_page_shows_the_problem_at_the_field(schedule, schedule_db):
    with schedule_db.transaction() as session:
        set_organiser_password(session, OrganiserAccount, "erika", "correct horse battery")
    pages = schedule.application.test_client()
    login = pages.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    form = {"name": "erika", "password": "correct horse battery", "csrf_token": token}
    assert pages.post("/login", data=form).status_code == 303
    url = f"/{SCHEDULE_EVENT}/organiser/stages"
    page = pages.get(url, headers={"Accept-Language": "en"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = pages.post(
        url,
        data={"name": "Dach", "stream_url": "javascript:alert(1)", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    field = re.search(r'<div class="field field--error">(.*?)</div>', response.text, re.S)
    assert 'id="field-stream_url"' in field.group(1)
    assert "Only http:// or https:// addresses are allowed." in field.group(1)
    assert not stored_values_containing(schedule_db, "javascript:")


# -- imports ------------------------------------------------------------------------------------

FRAB_XML = """<?xml version='1.0' encoding='utf-8'?>
<schedule>
  <version>1</version>
  <conference>
    <acronym>linkweek</acronym><title>Linkwoche</title>
    <start>2030-04-29</start><end>2030-04-29</end>
    <url>{link}</url>
    <time_zone_name>Europe/Berlin</time_zone_name>
  </conference>
  <day index="1" date="2030-04-29">
    <room name="Dach">
      <event guid="9d3c4ab0-2f9b-4f57-9d26-2a4c0b6d1e01" id="7">
        <date>2030-04-29T10:00:00+02:00</date><start>10:00</start><duration>01:00</duration>
        <title>Arbeit</title>
        <links><link href="{link}">Livestream</link></links>
      </event>
    </room>
  </day>
</schedule>
"""


def frab_json(link: str) -> bytes:
    path = FIXTURES / "frab-werkschau2024-schedule.json"
    document = json.loads(path.read_text())
    document["schedule"]["conference"]["url"] = link
    day = document["schedule"]["conference"]["days"][0]
    event = next(events[0] for events in day["rooms"].values() if events)
    event["links"] = [{"title": "Livestream", "url": link}]
    return json.dumps(document).encode()


def pretalx_json(link: str) -> bytes:
    path = FIXTURES / "pretalx-nextwork24-schedule.json"
    document = json.loads(path.read_text())
    document["schedule"]["url"] = link
    return json.dumps(document).encode()


@pytest.mark.parametrize("link", SCRIPT_LINKS)
@pytest.mark.parametrize(
    ("filename", "content", "dropped"),
    [
        ("schedule.xml", lambda link: FRAB_XML.format(link=escape(link)).encode(), 2),
        ("schedule.json", frab_json, 2),
        ("pretalx.json", pretalx_json, 1),
    ],
)
def test_frab_and_pretalx_imports_leave_the_link_out_with_a_warning(
    schedule_db, filename, content, dropped, link
):
    document = read_programme_file(content(link), filename)
    assert len(document["warnings"]) == dropped
    assert all(
        "left out: Only http:// or https://" in w or "spaces" in w for w in document["warnings"]
    )
    assert document["event"]["url"] == ""
    assert all(not s["livestream_url"] for s in document["sessions"])
    with schedule_db.transaction() as session:
        summary = import_programme(session, document, "imported")
    assert summary.warnings == tuple(document["warnings"])
    assert not stored_values_containing(schedule_db, link.strip())


def test_an_imported_livestream_warning_names_the_session():
    document = read_programme_file(FRAB_XML.format(link="javascript:alert(1)").encode(), "s.xml")
    assert document["warnings"] == [
        "s.xml: conference/url: link 'javascript:alert(1)' left out: "
        "Only http:// or https:// addresses are allowed.",
        "s.xml: day 1, room 'Dach', event 7 (guid 9d3c4ab0-2f9b-4f57-9d26-2a4c0b6d1e01), "
        "livestream: link 'javascript:alert(1)' left out: "
        "Only http:// or https:// addresses are allowed.",
    ]


def test_import_command_prints_the_warnings(schedule_db, tmp_path, monkeypatch):
    monkeypatch.setenv("SCHEDULE_DATABASE_URL", schedule_db.url)
    path = tmp_path / "schedule.xml"
    path.write_text(FRAB_XML.format(link="vbscript:msgbox(1)"))
    result = CliRunner().invoke(todo, ["import-programme", "linkweek", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: schedule.xml: conference/url: link 'vbscript:msgbox(1)' left out" in (
        result.stderr
    )


@pytest.mark.parametrize("field", ["livestream_url", "stream_url", "url"])
def test_our_programme_format_refuses_the_link_naming_the_field(field):
    document = make_document()
    where = {
        "livestream_url": document["sessions"][0],
        "stream_url": document["stages"][0],
        "url": document["event"],
    }[field]
    where[field] = "javascript:alert(1)"
    with pytest.raises(Invalid) as refused:
        read_programme_file(json.dumps(document).encode(), "programme.json")
    errors = refused.value.errors
    path = {
        "livestream_url": ["sessions", 0, "livestream_url"],
        "stream_url": ["stages", 0, "stream_url"],
        "url": ["event", "url"],
    }[field]
    for key in path:
        errors = errors[key]
    assert errors == ["Only http:// or https:// addresses are allowed."]


def test_an_external_registration_link_that_may_not_be_published_refuses_the_file(schedule_db):
    # Leaving it out would tell attendees that no registration is needed.
    document = json.loads(frab_json("https://stream.example/ok"))
    day = document["schedule"]["conference"]["days"][0]
    event = next(events[0] for events in day["rooms"].values() if events)
    event["links"] = [
        {"title": "Anmeldung extern / External registration", "url": CREDENTIALS_LINK}
    ]
    loaded = read_programme_file(json.dumps(document).encode(), "schedule.json")
    with pytest.raises(Invalid) as refused, schedule_db.transaction() as session:
        import_programme(session, loaded, "imported")
    [problems] = refused.value.errors["sessions"].values()
    assert problems["registration"]["external"]
    assert not stored_values_containing(schedule_db, "secret@")


# -- rendering: links stored before the check never become links ----------------------------------

STORED = "javascript:alert(document.cookie)"


def hrefs(html: str) -> list[str]:
    return [unescape(value) for value in re.findall(r'href="([^"]*)"', html)]


def test_draft_links_stored_before_the_check_stay_out_of_releases_and_exports(
    schedule_db, make_config
):
    with schedule_db.transaction() as session:
        event = import_programme(session, load_programme_document(make_document())).event
        event.url = STORED
        for stage in session.scalars(select(Stage)):
            stage.stream_url = STORED
        for programme_session in session.scalars(select(ProgrammeSession)):
            programme_session.livestream_url = STORED
            programme_session.streamed = True
        publish_release(session, event, "")
    app = create_schedule_app(make_config(schedule_db=schedule_db))
    client = app.test_client()
    bodies = [
        client.get(path).get_data(as_text=True)
        for path in (
            "/testweek/schedule.xml",
            "/testweek/schedule.json",
            "/api/v1/events/testweek/programme",
            "/api/v1/events/testweek/live?at=2024-04-29T13:30:00%2B02:00",
        )
    ]
    assert all("Baseology" in body or "stages" in body for body in bodies)
    assert not any("javascript" in body.lower() for body in bodies)
    app.extensions["todo_db"].dispose()


def test_pages_of_a_release_published_before_the_check_link_nothing_but_http(
    schedule_db, make_config
):
    document = make_document()
    document["sessions"][0]["registration"] = {"mode": "external", "external": "a@example.org"}
    with schedule_db.transaction() as session:
        event = import_programme(session, load_programme_document(document)).event
        publish_release(session, event, "")
        export = session.scalar(select(ReleaseExport).where(ReleaseExport.name == "programme.json"))
        data = json.loads(export.body)
        for info in data["sessions"]:
            info["livestream_url"] = STORED
            info["registration"] = {"mode": "external", "capacity": None, "external": STORED}
        export.body = json.dumps(data).encode()
        ids = [info["id"] for info in data["sessions"]]
    app = create_schedule_app(make_config(schedule_db=schedule_db))
    client = app.test_client()
    for session_id in ids:
        page = client.get(f"/testweek/sessions/{session_id}")
        assert page.status_code == 200
        assert "Registration with the host" in page.text or "Anmeldung" in page.text
        links = hrefs(page.text)
        assert all(h.startswith(("/", "#", "http://", "https://", "webcal://")) for h in links)
        ics = client.get(f"/testweek/sessions/{session_id}.ics")
        assert ics.headers["Location"].startswith("http://127.0.0.1:8003/testweek/calendar/")
    app.extensions["todo_db"].dispose()


def test_frab_exports_of_a_release_with_bad_links_leave_them_out():
    data = release()
    data["event"]["url"] = STORED
    for info in data["sessions"]:
        info["livestream_url"] = STORED
        info["stage"]["stream_url"] = "data:text/html,x"
        info["url"] = "vbscript:msgbox(1)"
        info["streamed"] = True
        info["registration"] = {"mode": "external", "capacity": None, "external": STORED}
    for render in (render_schedule_xml, render_schedule_json):
        body = render(data).decode().lower()
        assert "javascript" not in body and "data:" not in body and "vbscript" not in body


def test_mails_and_calendars_from_a_release_with_bad_links_leave_them_out(platform):
    data = release(number=2)
    data["event"]["url"] = STORED
    for info in data["sessions"]:
        info["livestream_url"] = STORED
        info["url"] = "data:text/html,x"
    platform.publish_release(data)
    assert platform.register("Eva Muster", "eva@example.org").status_code == 201
    platform.deliver()
    platform.send_mail()
    [raw] = platform.smtp.messages_to("eva@example.org")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    assert texts and not any("javascript" in t.lower() or "data:text" in t for t in texts)
    html = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/html")
    assert all(h.startswith(("http://", "https://", "webcal://")) for h in hrefs(html))
    feeds = [
        platform.clients["notify"].get(path).get_data(as_text=True)
        for path in (f"/{EVENT}/calendar.ics", f"/{EVENT}/calendar/tracks/digitalisierung.ics")
    ]
    assert all("BEGIN:VEVENT" in feed for feed in feeds)
    assert not any("javascript" in f.lower() or "data:text" in f for f in feeds)
