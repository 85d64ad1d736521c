"""Creating an event in the browser (issue 12): empty, or as a new edition of one of the
organisation's events (its venues and tracks, no programme), through the API's schema, owned
by the organisation in the URL and announced as schedule.event.owner_changed; only for owners
of that organisation and platform administrators."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import func, select

from services.schedule import draft
from services.schedule.editions import copy_edition
from services.schedule.models import (
    Event,
    EventOwner,
    OrganiserAccount,
    OutboxMessage,
    ProgrammeSession,
    Speaker,
)
from services.schedule.organisations import create_organisation, set_owner
from services.schedule.releases import event_info
from shared.errors import Conflict, Invalid, NoSuchEvent
from shared.messages import parse_envelope
from shared.organisations import EVENT_OWNER_CHANGED
from shared.pages.organisers import organiser_session, set_organiser_password
from shared.permissions import Principal

OWNER = Principal("erika", "bochum", "owner")
ADMIN = Principal("ops")
NEW = {
    "title": "Bochumer Woche 2027",
    "slug": "bowo2027",
    "starts_on": "2027-05-03",
    "ends_on": "2027-05-07",
    "timezone": "Europe/Berlin",
    "locale": "de",
    "address": "Rathaus, 44787 Bochum",
    "url": "https://bochum.example/woche",
}
GERMAN = {"Accept": "text/html", "Accept-Language": "de"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def two_organisations(schedule_db, document, import_document):
    """`bochum` owns the test programme's event (stages, tracks, speakers, sessions), `herne`
    owns `hewo`; the accounts exist. Returns the slug of bochum's event."""
    with schedule_db.transaction() as session:
        create_organisation(session, "bochum", "Bochum – Arbeit der Zukunft")
        create_organisation(session, "herne", "Herne arbeitet")
        set_owner(session, import_document(session, document).event, "bochum")
        set_owner(session, import_document(session, document, "hewo").event, "herne")
        for name in ("erika", "ops", "paul", "vera", "tuer"):
            set_organiser_password(session, OrganiserAccount, name, "correct horse battery")
    return document["event"]["slug"]


def sign_in(client, principal: Principal):
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(principal))
    return client


def path(organisation: str) -> str:
    return f"/organisations/{organisation}/events/new"


def submit(client, organisation: str, form: dict, headers=GERMAN):
    """The form page of `organisation`, then `form` sent with its token."""
    page = client.get(path(organisation), headers=headers)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text)[1]
    return client.post(path(organisation), data={"csrf_token": token, **form}, headers=headers)


def field_problems(page: str, name: str) -> list[str]:
    """The error messages the form shows at field `name` (and marks the field invalid)."""
    found = [unescape(m) for m in re.findall(rf'id="error-{name}-\d+">([^<]*)<', page)]
    if found:
        assert re.search(rf'id="field-{name}"[^>]*aria-invalid="true"', page), name
    return found


def counts(schedule_db) -> tuple[int, int]:
    """How many events there are and how many owner messages the outbox holds."""
    with schedule_db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Event)),
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.routing_key == EVENT_OWNER_CHANGED)
            ),
        )


def announced_owners(schedule_db, event: str) -> list[str | None]:
    """The organisations the outbox's owner messages name for `event`, oldest first."""
    with schedule_db.transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.routing_key == EVENT_OWNER_CHANGED)
            .order_by(OutboxMessage.id)
        ).all()
    envelopes = [parse_envelope(body.encode()) for body in bodies]
    return [e.data["organisation"] for e in envelopes if e.data["event"] == event]


def stored_owner(schedule_db, event: str) -> str | None:
    with schedule_db.transaction() as session:
        row = session.get(EventOwner, event)
        assert row is not None, f"no owner row for {event}"
        return row.organisation


# -- creating -----------------------------------------------------------------------------------


def test_the_form_is_german_with_the_organisations_events_to_copy(client, two_organisations):
    page = sign_in(client, OWNER).get(path("bochum"), headers=GERMAN)
    assert page.status_code == 200
    assert "<h1>Neue Veranstaltung</h1>" in page.text and "Bochum – Arbeit der Zukunft" in page.text
    for label in ("Name", "Kurzname", "Erster Tag", "Letzter Tag", "Zeitzone", "Sprache"):
        assert f">{label} <span" in page.text or f">{label}</label>" in page.text, label
    assert '<option value="Europe/Berlin" selected>' in page.text
    assert '<option value="de" selected>Deutsch</option>' in page.text
    copyable = re.findall(r'<option value="([^"]*)"', page.text.split('name="copy_from"')[1])
    assert copyable[:2] == ["", two_organisations] and "hewo" not in page.text


def test_the_form_speaks_english_too(client, two_organisations):
    page = sign_in(client, OWNER).get(
        path("bochum"), headers={"Accept": "text/html", "Accept-Language": "en"}
    )
    assert "<h1>New event</h1>" in page.text and ">First day" in page.text
    assert '<option value="de" selected>German</option>' in page.text


def test_an_owner_creates_an_event_of_its_organisation(client, schedule_db, two_organisations):
    answer = submit(sign_in(client, OWNER), "bochum", NEW)
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"].endswith("/bowo2027/organiser/")
    with schedule_db.transaction() as session:
        event = draft.find_event(session, "bowo2027")
        assert (event.title, event.starts_on.isoformat(), event.ends_on.isoformat()) == (
            NEW["title"],
            NEW["starts_on"],
            NEW["ends_on"],
        )
        assert (event.timezone, event.locale, event.address, event.url) == (
            NEW["timezone"],
            NEW["locale"],
            NEW["address"],
            NEW["url"],
        )
        assert draft.list_stages(session, event) == [] and draft.list_tracks(session, event) == []
    assert stored_owner(schedule_db, "bowo2027") == "bochum"
    assert announced_owners(schedule_db, "bowo2027") == ["bochum"]
    dashboard = client.get(answer.headers["Location"], headers=GERMAN)
    assert dashboard.status_code == 200
    assert "Veranstaltung „Bochumer Woche 2027“ angelegt." in unescape(dashboard.text)


def test_a_new_edition_copies_venues_and_tracks_but_no_programme(
    client, schedule_db, two_organisations
):
    form = NEW | {
        "copy_from": two_organisations,
        "timezone": "Europe/London",
        "address": "ignored",
        "url": "",
    }
    answer = submit(sign_in(client, OWNER), "bochum", form)
    assert answer.status_code == 303, answer.text
    with schedule_db.transaction() as session:
        source = draft.find_event(session, two_organisations)
        edition = draft.find_event(session, "bowo2027")
        # Named and dated by the form; place and settings from the earlier edition.
        assert (edition.title, edition.starts_on.isoformat()) == (NEW["title"], "2027-05-03")
        inherited = ("timezone", "locale", "address", "url")
        assert [getattr(edition, n) for n in inherited] == [getattr(source, n) for n in inherited]

        def stages(event):
            found = draft.list_stages(session, event)
            return [(s.name, s.address, s.capacity, s.stream_url) for s in found], {
                s.guid for s in found
            }

        (copied, new_guids), (original, old_guids) = stages(edition), stages(source)
        assert copied == original and len(copied) == 2
        assert not new_guids & old_guids
        assert [(t.slug, t.name, t.color) for t in draft.list_tracks(session, edition)] == [
            ("demografie", "Demografie", "#e4572e"),
            ("digitalisierung", "Digitalisierung", "#2e86ab"),
        ]
        for model in (ProgrammeSession, Speaker):
            assert (
                session.scalar(
                    select(func.count()).select_from(model).where(model.event_id == edition.id)
                )
                == 0
            ), model.__name__
        # The source keeps its programme.
        assert len(draft.list_sessions(session, source)) > 0
    assert stored_owner(schedule_db, "bowo2027") == "bochum"
    assert announced_owners(schedule_db, "bowo2027") == ["bochum"]
    dashboard = client.get(answer.headers["Location"], headers=GERMAN)
    assert "mit den Orten und Themen von „Testwoche“ angelegt." in unescape(dashboard.text)


def test_a_platform_administrator_creates_for_any_organisation(
    client, schedule_db, two_organisations
):
    sign_in(client, ADMIN)
    answer = submit(client, "herne", NEW | {"slug": "hewo2027"})
    assert answer.status_code == 303, answer.text
    assert stored_owner(schedule_db, "hewo2027") == "herne"
    assert announced_owners(schedule_db, "hewo2027") == ["herne"]
    # A new edition of another organisation's event, for that organisation.
    page = client.get(path("herne"), headers=GERMAN)
    assert f'value="{two_organisations}"' not in page.text.split('name="copy_from"')[1]
    answer = submit(client, "herne", NEW | {"slug": "hewo2028", "copy_from": "hewo"})
    assert answer.status_code == 303, answer.text
    assert stored_owner(schedule_db, "hewo2028") == "herne"


def test_an_administrator_finds_no_organisation_that_does_not_exist(client, two_organisations):
    answer = sign_in(client, ADMIN).get(path("nowhere"), headers=GERMAN)
    assert answer.status_code == 404
    assert "Die Organisation 'nowhere' gibt es nicht." in unescape(answer.text)


# -- errors at the fields -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Bowo 2027!"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"title": ""}, "title"),
        ({"starts_on": "3.5.2027"}, "starts_on"),
        ({"ends_on": "2027-05-02"}, "ends_on"),
        ({"timezone": "Europe/Bochum"}, "timezone"),
        ({"locale": "fr"}, "locale"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"copy_from": "hewo"}, "copy_from"),
        ({"copy_from": "testweek", "ends_on": "2027-05-02"}, "ends_on"),
    ],
)
def test_what_the_api_refuses_the_form_shows_at_its_field(
    client, schedule_db, two_organisations, change, field
):
    before = counts(schedule_db)
    answer = submit(sign_in(client, OWNER), "bochum", NEW | change)
    assert answer.status_code == 422
    assert field_problems(answer.text, field), answer.text
    assert "Bitte prüfe deine Eingaben" in answer.text
    # What was typed comes back.
    for name, value in change.items():
        if name not in ("timezone", "locale", "copy_from"):
            assert f'value="{value}"' in answer.text
    assert counts(schedule_db) == before


def test_an_end_before_the_start_is_named_in_german(client, two_organisations):
    answer = submit(sign_in(client, OWNER), "bochum", NEW | {"ends_on": "2027-05-02"})
    assert field_problems(answer.text, "ends_on") == ["Das Ende liegt vor dem Beginn."]


@pytest.mark.parametrize("copy", [False, True])
def test_an_existing_slug_is_refused_at_the_slug(client, schedule_db, two_organisations, copy):
    before = counts(schedule_db)
    # Taken by another organisation's event: the slug is unique on the platform.
    form = NEW | {"slug": "hewo"} | ({"copy_from": two_organisations} if copy else {})
    answer = submit(sign_in(client, OWNER), "bochum", form)
    assert answer.status_code == 422
    assert field_problems(answer.text, "slug") == ["Die Veranstaltung 'hewo' gibt es schon."]
    assert counts(schedule_db) == before
    assert stored_owner(schedule_db, "hewo") == "herne"


# -- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        Principal("paul", "bochum", "programme"),
        Principal("vera", "bochum", "viewer"),
        # An owner limited to some events manages the events, creates none.
        Principal("tuer", "bochum", "owner", ("testweek",)),
    ],
    ids=["programme", "viewer", "owner-of-one-event"],
)
def test_a_role_without_events_create_gets_the_forbidden_page(
    client, schedule_db, two_organisations, principal
):
    before = counts(schedule_db)
    sign_in(client, principal)
    page = client.get(path("bochum"), headers=GERMAN)
    assert page.status_code == 403
    assert "Deine Rolle erlaubt das nicht" in page.text and "events.create" in page.text
    assert 'name="slug"' not in page.text
    token = CSRF.search(page.text)[1]  # the logout form's
    answer = client.post(path("bochum"), data={"csrf_token": token, **NEW}, headers=GERMAN)
    assert answer.status_code == 403
    assert counts(schedule_db) == before


def test_another_organisation_is_as_if_it_did_not_exist(client, schedule_db, two_organisations):
    before = counts(schedule_db)
    sign_in(client, OWNER)
    foreign = client.get(path("herne"), headers=GERMAN)
    missing = client.get(path("nowhere"), headers=GERMAN)
    assert foreign.status_code == missing.status_code == 404
    assert CSRF.sub("", foreign.text.replace("herne", "X")) == CSRF.sub(
        "", missing.text.replace("nowhere", "X")
    )
    assert 'name="slug"' not in foreign.text
    token = CSRF.search(foreign.text)[1]
    answer = client.post(path("herne"), data={"csrf_token": token, **NEW}, headers=GERMAN)
    assert answer.status_code == 404
    assert counts(schedule_db) == before


def test_without_a_login_the_form_asks_for_one(client, two_organisations):
    answer = client.get(path("bochum"))
    assert answer.status_code == 303 and "/login?next=" in answer.headers["Location"]


# -- the domain ---------------------------------------------------------------------------------


def test_copy_edition_refuses_what_it_cannot_make(schedule_db, two_organisations):
    dates = {"starts_on": date(2027, 5, 3), "ends_on": date(2027, 5, 7)}
    with schedule_db.transaction() as session:
        source = draft.find_event(session, two_organisations)
        foreign = draft.find_event(session, "hewo")
        with pytest.raises(NoSuchEvent):
            copy_edition(session, OWNER, foreign, {"slug": "x", "title": "X"} | dates)
        with pytest.raises(Invalid) as missing:
            copy_edition(session, OWNER, source, {"slug": "x"} | dates)
        assert list(missing.value.errors) == ["title"]
        with pytest.raises(Invalid) as backwards:
            copy_edition(
                session,
                OWNER,
                source,
                {
                    "slug": "x",
                    "title": "X",
                    "starts_on": date(2027, 5, 7),
                    "ends_on": date(2027, 5, 3),
                },
            )
        assert list(backwards.value.errors) == ["ends_on"]
        with pytest.raises(Conflict):
            copy_edition(session, OWNER, source, {"slug": "hewo", "title": "X"} | dates)
        assert session.scalar(select(func.count()).select_from(Event)) == 2


def test_a_new_event_starts_registration_as_the_form_says(client, schedule_db, two_organisations):
    answer = submit(
        sign_in(client, OWNER),
        "bochum",
        NEW | {"confirm_email": "true", "release_no_shows_after_minutes": "30"},
    )
    assert answer.status_code == 303, answer.text
    with schedule_db.transaction() as session:
        event = draft.find_event(session, "bowo2027")
        assert (event.confirm_email, event.release_no_shows_after_minutes) == (True, 30)
        # The release tells registration, which starts the event out so.
        assert event_info(event)["registration_defaults"] == {
            "confirm_email": True,
            "release_no_shows_after_minutes": 30,
        }
        # A new edition takes them over.
        edition = copy_edition(
            session,
            OWNER,
            event,
            {
                "slug": "bowo2028",
                "title": "2028",
                "starts_on": date(2028, 5, 2),
                "ends_on": date(2028, 5, 4),
            },
        )
        assert (edition.confirm_email, edition.release_no_shows_after_minutes) == (True, 30)
    too_long = submit(
        client, "bochum", NEW | {"slug": "x2", "release_no_shows_after_minutes": "999"}
    )
    assert too_long.status_code == 422
    assert field_problems(too_long.text, "release_no_shows_after_minutes") == [
        "Bitte 0 bis 240 Minuten angeben."
    ]


def test_events_without_registration_defaults_publish_as_before(schedule_db, two_organisations):
    with schedule_db.transaction() as session:
        assert "registration_defaults" not in event_info(
            draft.find_event(session, two_organisations)
        )


def test_venues_typed_into_the_form_are_created_with_the_event(
    client, schedule_db, two_organisations
):
    form = NEW | {"venues": "Dachbühne\r\n\r\n  Straßenbildschirm  \n"}
    answer = submit(sign_in(client, OWNER), "bochum", form)
    assert answer.status_code == 303, answer.text
    with schedule_db.transaction() as session:
        stages = draft.list_stages(session, draft.find_event(session, "bowo2027"))
        assert sorted(stage.name for stage in stages) == ["Dachbühne", "Straßenbildschirm"]
    too_long = submit(client, "bochum", NEW | {"slug": "x3", "venues": "x" * 201})
    assert too_long.status_code == 422
    assert field_problems(too_long.text, "venues")
