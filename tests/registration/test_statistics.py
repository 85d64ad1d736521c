"""Statistics of an event and its sessions (issue 13): exact figures for tickets with known times
(the moment a session filled, no-shows, check-ins per quarter hour across the spring change of
daylight saving time in Europe/Berlin), an empty event, the pages with their charts in German
and English, the API's JSON, and who may read them."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.registration.codes import new_code
from services.registration.models import ApiToken, Attendee, EventOwner, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.schemas import EventStatisticsSchema, SessionStatisticsSchema
from services.registration.statistics import (
    CheckInBucket,
    checkins_per_quarter_hour,
    event_statistics,
    filled_at,
    session_statistics,
)
from shared.auth import new_token, store_token
from shared.errors import NotFound
from shared.organisations import membership, record_owner
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from tests.support.registration import EVENT, session_info

BERLIN = ZoneInfo("Europe/Berlin")
CET = timedelta(hours=1)
CEST = timedelta(hours=2)
ORGANISATION = "dortmund"
EMPTY = "leer2024"
# The day after the night of the spring change (31 March 2024, 02:00 CET → 03:00 CEST).
NOW = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
API = f"/api/v1/events/{EVENT}"
PAGE = f"/{EVENT}/organiser/statistics"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Session 1 (4 seats) runs through the night of the change, 01:30 CET to 03:30 CEST; session 2
# (2 seats) is on 2 April, after NOW; session 3 (10 seats) has no tickets; session 4 takes no
# registrations and is left out.
SESSIONS = [
    session_info(1, capacity=4, starts_at=utc(2024, 3, 31, 0, 30)),
    session_info(2, capacity=2, starts_at=utc(2024, 4, 2, 8, 0)),
    session_info(3, capacity=10, starts_at=utc(2024, 4, 3, 8, 0)),
    session_info(4, capacity=None, mode="none", starts_at=utc(2024, 4, 3, 10, 0)),
]
# (session, status, requested_at, cancelled_at, cancel_reason, checked_in_at)
TICKETS = {
    "a": (1, CONFIRMED, utc(2024, 3, 20, 10, 0), None, None, utc(2024, 3, 31, 0, 50)),
    "b": (1, CANCELLED, utc(2024, 3, 20, 10, 30), utc(2024, 3, 21, 9, 0), "attendee", None),
    "c": (1, CONFIRMED, utc(2024, 3, 22, 8, 0), None, None, utc(2024, 3, 31, 1, 5)),
    "d": (1, CONFIRMED, utc(2024, 3, 22, 8, 10), None, None, None),
    # The fourth seat taken at once (a, c, d, e): session 1 is full from here.
    "e": (1, CANCELLED, utc(2024, 3, 23, 12, 0), utc(2024, 3, 31, 0, 45), "no_show", None),
    "f": (1, WAITLISTED, utc(2024, 3, 24, 9, 0), None, None, None),
    "g": (1, CONFIRMED, utc(2024, 3, 25, 10, 0), None, None, utc(2024, 3, 31, 1, 40)),
    "h": (2, CONFIRMED, utc(2024, 3, 29, 9, 0), None, None, None),
    # Session 2's second seat: full from here.
    "i": (2, HELD, utc(2024, 3, 29, 9, 20), None, None, None),
    "j": (2, WAITLISTED, utc(2024, 3, 30, 8, 0), None, None, None),
    "k": (2, CANCELLED, utc(2024, 3, 30, 8, 30), utc(2024, 3, 30, 8, 45), "hold_expired", None),
}


def add_tickets(db, event_slug: str, tickets: dict) -> None:
    """Attendees and tickets with the given times, as if registered, cancelled and checked in
    then."""
    from services.registration.booking import find_event

    with db.transaction() as session:
        event_ = find_event(session, event_slug)
        for key, (session_id, status, requested, cancelled, reason, checked) in tickets.items():
            attendee = Attendee(
                event_id=event_.id,
                name=f"Gast {key}",
                email=f"{key}@example.org",
                locale="de",
                consent_at=requested,
                consent_version="1",
                manage_token=secrets.token_urlsafe(24),
                feed_token=secrets.token_urlsafe(24),
            )
            session.add(attendee)
            session.flush()
            session.add(
                Ticket(
                    attendee_id=attendee.id,
                    session_id=session_id,
                    status=status,
                    name=f"Gast {key}",
                    code=new_code(),
                    requested_at=requested,
                    cancelled_at=cancelled,
                    cancel_reason=reason,
                    checked_in_at=checked,
                )
            )


@pytest.fixture
def known(registration_db, publish_release):
    """The event with the tickets of TICKETS, owned by ORGANISATION; an event without tickets."""
    publish_release(registration_db, 1, SESSIONS)
    add_tickets(registration_db, EVENT, TICKETS)
    ended = session_info(5, capacity=3, starts_at=utc(2024, 3, 30, 8, 0))
    publish_release(registration_db, 1, [ended, session_info(6, capacity=0)], event=EMPTY)
    with registration_db.transaction() as session:
        for slug in (EVENT, EMPTY):
            record_owner(session, EventOwner, slug, ORGANISATION, datetime.now(UTC))
    return registration_db


def test_figures_of_a_session_that_has_ended(known):
    with known.transaction() as session:
        stats = session_statistics(session, EVENT, 1, now=NOW)
    figures = stats.figures
    assert (figures.registrations, figures.confirmed, figures.held, figures.seated) == (7, 4, 0, 4)
    assert (figures.waitlisted, figures.cancelled, figures.checked_in) == (1, 2, 3)
    assert figures.cancellations == {
        "attendee": 1,
        "session_cancelled": 0,
        "hold_expired": 0,
        "no_show": 1,
        "organiser": 0,
    }
    # d had a seat and did not come, e's seat was released: 2 of the 5 who had a seat.
    assert (figures.no_shows, figures.no_show_rate) == (2, 0.4)
    assert stats.ended and stats.fill_rate == 1.0
    # a, b (cancelled the next day), c, d, then e is the fourth at once.
    assert stats.filled_at == datetime(2024, 3, 23, 13, 0, tzinfo=BERLIN)
    assert stats.filled_at.utcoffset() == CET


def test_check_ins_per_quarter_hour_across_the_spring_change(known):
    with known.transaction() as session:
        stats = session_statistics(session, EVENT, 1, now=NOW)
    # 01:50 CET, then 03:05 and 03:40 CEST: the hour from 02:00 does not exist that night, so
    # the quarter hour after 01:45 is 03:00; the empty 03:15 stays between the others.
    assert [(b.starts_at.isoformat(), b.count) for b in stats.checkins] == [
        ("2024-03-31T01:45:00+01:00", 1),
        ("2024-03-31T03:00:00+02:00", 1),
        ("2024-03-31T03:15:00+02:00", 0),
        ("2024-03-31T03:30:00+02:00", 1),
    ]
    first, second = (b.starts_at.astimezone(UTC) for b in stats.checkins[:2])
    assert second - first == timedelta(minutes=15)


def test_check_ins_per_quarter_hour_across_the_autumn_change():
    # 27 October 2024: 02:00–03:00 comes twice, first in CEST, then in CET.
    moments = [utc(2024, 10, 27, 0, 5), utc(2024, 10, 27, 1, 10), utc(2024, 10, 27, 23, 30)]
    buckets = checkins_per_quarter_hour(moments, BERLIN)
    first_day = [b for b in buckets if b.starts_at.day == 27]
    assert len(first_day) == 5
    assert [b.starts_at.utcoffset() for b in first_day] == [CEST] * 4 + [CET]
    assert [f"{b.starts_at:%H:%M}" for b in first_day] == [
        "02:00",
        "02:15",
        "02:30",
        "02:45",
        "02:00",
    ]
    assert [b.count for b in first_day] == [1, 0, 0, 0, 1]
    # 23:30 UTC is 00:30 on the next day: a day of its own.
    assert buckets[-1] == CheckInBucket(datetime(2024, 10, 28, 0, 30, tzinfo=BERLIN), 1)


def test_registrations_over_time_per_hour_within_two_days(known):
    with known.transaction() as session:
        stats = session_statistics(session, EVENT, 2, now=NOW)
    assert stats.over_time.bucket == "hour"
    assert [
        (b.starts_at.isoformat(), b.ends_at.isoformat(), b.count, b.total)
        for b in stats.over_time.registrations
    ] == [
        ("2024-03-29T10:00:00+01:00", "2024-03-29T11:00:00+01:00", 2, 2),
        ("2024-03-30T09:00:00+01:00", "2024-03-30T10:00:00+01:00", 2, 4),
    ]
    assert [(b.starts_at.isoformat(), b.count, b.total) for b in stats.over_time.cancellations] == [
        ("2024-03-30T09:00:00+01:00", 1, 1)
    ]
    assert stats.filled_at == datetime(2024, 3, 29, 10, 20, tzinfo=BERLIN)
    # Held seats count as seats; before its end a session has no no-shows.
    assert (stats.figures.seated, stats.fill_rate) == (2, 1.0)
    assert not stats.ended and stats.figures.no_shows is None and stats.figures.no_show_rate is None


def test_event_figures_add_up_the_sessions(known):
    with known.transaction() as session:
        stats = event_statistics(session, EVENT, now=NOW)
    assert [s.session for s in stats.sessions] == [1, 2, 3]
    figures = stats.figures
    assert (figures.registrations, figures.seated, figures.waitlisted) == (11, 6, 2)
    assert (figures.confirmed, figures.held, figures.cancelled, figures.checked_in) == (5, 1, 3, 3)
    assert (figures.cancellations["attendee"], figures.cancellations["hold_expired"]) == (1, 1)
    # Only session 1 has ended.
    assert (figures.no_shows, figures.no_show_rate) == (2, 0.4)
    third = stats.sessions[2]
    assert (third.fill_rate, third.filled_at, third.over_time, third.checkins) == (
        0.0,
        None,
        None,
        None,
    )
    # From 20 to 31 March: per day, in local days (31 March has 23 hours).
    assert stats.over_time.bucket == "day"
    assert [
        (b.starts_at.date().isoformat(), b.count, b.total) for b in stats.over_time.registrations
    ] == [
        ("2024-03-20", 2, 2),
        ("2024-03-22", 2, 4),
        ("2024-03-23", 1, 5),
        ("2024-03-24", 1, 6),
        ("2024-03-25", 1, 7),
        ("2024-03-29", 2, 9),
        ("2024-03-30", 2, 11),
    ]
    last = stats.over_time.cancellations[-1]
    assert (last.starts_at.isoformat(), last.ends_at.isoformat(), last.total) == (
        "2024-03-31T00:00:00+01:00",
        "2024-04-01T00:00:00+02:00",
        3,
    )
    assert [b.count for b in stats.checkins] == [1, 1, 0, 1]
    assert stats.at == NOW and stats.at.utcoffset() == CEST


def test_an_event_without_tickets_divides_by_nothing(known):
    with known.transaction() as session:
        stats = event_statistics(session, EMPTY, now=NOW)
    assert stats.figures.registrations == 0
    # Session 5 has ended without anyone seated: no rate, not 0 and no error.
    assert (stats.figures.no_shows, stats.figures.no_show_rate) == (0, None)
    assert stats.over_time.registrations == [] and stats.checkins == []
    fill = {s.session: (s.fill_rate, s.filled_at) for s in stats.sessions}
    assert fill == {5: (0.0, None), 6: (None, None)}


def test_fill_moment_counts_cancellations_first_at_the_same_instant():
    t = utc(2024, 3, 1, 9, 0)
    assert filled_at([(t, None), (t + timedelta(minutes=1), None)], 2) == t + timedelta(minutes=1)
    # The first one cancelled before the second came: never two at once.
    assert filled_at([(t, t + timedelta(minutes=1)), (t + timedelta(minutes=1), None)], 2) is None
    assert filled_at([(t, None)], None) is None and filled_at([(t, None)], 0) is None


def test_an_unknown_session_is_not_found(known):
    with known.transaction() as session:
        with pytest.raises(NotFound):
            session_statistics(session, EVENT, 99)
        with pytest.raises(NotFound):
            # A session of another event.
            session_statistics(session, EMPTY, 1)


# -- pages --------------------------------------------------------------------------------------


def browser(app, role: str, organisation: str = ORGANISATION):
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("erika", organisation, role)))
    return client


def page(client, path: str, lang: str):
    return client.get(f"{path}?lang={lang}", headers={"Accept": "text/html"})


def svg_titles(text: str) -> list[tuple[str, str]]:
    """Each chart's title and description, which its aria-labelledby names."""
    charts = re.findall(
        r'<svg class="chart"[^>]*aria-labelledby="([^ "]+) ([^"]+)"[^>]*>(.*?)</svg>', text, re.S
    )
    found = []
    for title_id, desc_id, body in charts:
        title = re.search(rf'<title id="{title_id}">(.*?)</title>', body, re.S)
        desc = re.search(rf'<desc id="{desc_id}">(.*?)</desc>', body, re.S)
        assert title and desc, body[:300]
        found.append((title[1], desc[1]))
    return found


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "de",
            [
                "Anmeldungen im Zeitverlauf",
                "Auslastung je Session",
                "Check-ins je 15 Minuten",
                "Sonntag, 31. März 2024",
                "Zahlen als Tabelle",
                "01:45",
                "03:00",
            ],
        ),
        (
            "en",
            [
                "Registrations over time",
                "Fill rate per session",
                "Check-ins per 15 minutes",
                "Sunday, 31 March 2024",
                "Figures as a table",
                "01:45",
                "03:00",
            ],
        ),
    ],
)
def test_the_page_draws_charts_with_title_description_and_table(known, make_app, lang, words):
    client = browser(make_app(known), "viewer")
    answer = page(client, PAGE, lang)
    assert answer.status_code == 200, answer.text
    text = answer.text
    for word in words:
        assert word in text, word
    titles = svg_titles(text)
    # Over time, fill rate, check-ins on 31 March.
    assert len(titles) == 3
    assert text.count("<details") == 2 and 'role="img"' in text
    # The 24-hour clock and the session's fill moment in the page's language.
    assert ("Sa. 23. März 2024, 13:00" if lang == "de" else "Sat 23 Mar 2024, 13:00") in text
    assert "13:00 PM" not in text and " PM" not in text
    # No personal data, though the viewer reads it.
    assert "example.org" not in text and "Gast " not in text
    # The charts' styles come from the service's stylesheet: nothing inline (CSP).
    assert "registration.css" in text and "<style" not in text and " style=" not in text
    link = f"/{EVENT}/organiser/statistics/sessions/1"
    assert f'href="{link}"' in text


def test_the_session_page_marks_the_moment_it_filled(known, make_app):
    client = browser(make_app(known), "viewer")
    answer = page(client, f"{PAGE}/sessions/1", "de")
    assert answer.status_code == 200, answer.text
    titles = svg_titles(answer.text)
    assert len(titles) == 2
    assert "Ausgebucht seit Sa. 23. März 2024, 13:00." in answer.text
    assert 'class="chart__rule"' in answer.text and 'class="chart__reference"' in answer.text
    assert "ausgebucht: 23.3. 13:00" in answer.text
    assert "4 Plätze" in answer.text
    english = page(client, f"{PAGE}/sessions/1", "en")
    assert "Full since Sat 23 Mar 2024, 13:00." in english.text
    assert page(client, f"{PAGE}/sessions/99", "de").status_code == 404


def test_pages_of_an_event_without_tickets(known, make_app):
    client = browser(make_app(known), "owner")
    answer = page(client, f"/{EMPTY}/organiser/statistics", "de")
    assert answer.status_code == 200, answer.text
    assert "Noch keine Anmeldungen." in answer.text and "Noch niemand eingecheckt." in answer.text
    session_page = page(client, f"/{EMPTY}/organiser/statistics/sessions/5", "en")
    assert session_page.status_code == 200 and "No registrations yet." in session_page.text


def test_the_dashboard_links_to_the_statistics(known, make_app):
    client = browser(make_app(known), "viewer")
    answer = page(client, f"/{EVENT}/organiser/registrations", "de")
    assert f'href="{PAGE}"' in answer.text


@pytest.mark.parametrize(
    ("role", "organisation", "status"),
    [
        ("viewer", ORGANISATION, 200),
        ("registrations", ORGANISATION, 200),
        ("door", ORGANISATION, 403),
        ("programme", ORGANISATION, 403),
        ("owner", "herne", 404),
    ],
)
def test_who_may_read_the_pages(known, make_app, role, organisation, status):
    client = browser(make_app(known), role, organisation)
    for path in (PAGE, f"{PAGE}/sessions/1"):
        assert page(client, path, "de").status_code == status, path


# -- API ----------------------------------------------------------------------------------------


def bearer(db, role: str | None, organisation: str = ORGANISATION) -> dict:
    token = new_token()
    member = membership(organisation, role) if role else None
    with db.transaction() as session:
        store_token(session, ApiToken, f"{role}-{organisation}", token, member=member)
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def without_moment(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key != "at"}


def test_the_api_answers_the_domains_figures(known, make_app):
    client = make_app(known).test_client()
    headers = bearer(known, "viewer")
    answer = client.get(f"{API}/statistics", headers=headers)
    assert answer.status_code == 200, answer.json
    with known.transaction() as session:
        expected = EventStatisticsSchema().dump(event_statistics(session, EVENT))
    assert without_moment(answer.json) == without_moment(expected)
    assert answer.json["figures"]["registrations"] == 11
    first = answer.json["sessions"][0]
    assert first["filled_at"] == "2024-03-23T13:00:00+01:00" and "over_time" not in first
    assert answer.json["checkins"][1] == {"starts_at": "2024-03-31T03:00:00+02:00", "count": 1}

    one = client.get(f"{API}/sessions/2/statistics", headers=headers)
    assert one.status_code == 200, one.json
    with known.transaction() as session:
        assert one.json == SessionStatisticsSchema().dump(session_statistics(session, EVENT, 2))
    assert one.json["filled_at"] == "2024-03-29T10:20:00+01:00"
    assert one.json["over_time"]["registrations"][0] == {
        "starts_at": "2024-03-29T10:00:00+01:00",
        "ends_at": "2024-03-29T11:00:00+01:00",
        "count": 2,
        "total": 2,
    }
    text = answer.text + one.text
    assert "example.org" not in text and "Gast" not in text


@pytest.mark.parametrize(
    ("role", "organisation", "status"),
    [
        ("viewer", ORGANISATION, 200),
        ("owner", ORGANISATION, 200),
        ("door", ORGANISATION, 403),
        ("owner", "herne", 404),
    ],
)
def test_who_may_read_the_api(known, make_app, role, organisation, status):
    client = make_app(known).test_client()
    headers = bearer(known, role, organisation)
    for path in (f"{API}/statistics", f"{API}/sessions/1/statistics"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.json)
    assert client.get(f"{API}/statistics").status_code == 401


def test_unknown_sessions_and_events_answer_404_naming_the_field(known, make_app):
    client = make_app(known).test_client()
    headers = bearer(known, None)
    missing = client.get(f"{API}/sessions/99/statistics", headers=headers)
    assert missing.status_code == 404 and "session" in missing.json["errors"]
    assert client.get(f"{API}/sessions/99999999999/statistics", headers=headers).status_code == 404
    assert client.get("/api/v1/events/keine/statistics", headers=headers).status_code == 404


@pytest.mark.parametrize("event", ["%00", "%ED%A0%80", "a" * 300, "..%2F..", "javascript:alert(1)"])
def test_hostile_event_names_answer_4xx(known, make_app, event):
    client = make_app(known).test_client()
    headers = bearer(known, None)
    for path in (
        f"/api/v1/events/{event}/statistics",
        f"/api/v1/events/{event}/sessions/1/statistics",
    ):
        answer = client.get(path, headers=headers)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
    pages = browser(make_app(known), "owner")
    assert 400 <= page(pages, f"/{event}/organiser/statistics", "de").status_code < 500


def test_the_same_figures_on_sqlite(make_database, publish_release, known):
    lite = make_database("registration", backend="sqlite")
    publish_release(lite, 1, SESSIONS)
    add_tickets(lite, EVENT, TICKETS)
    schema = EventStatisticsSchema()
    with lite.transaction() as session:
        on_sqlite = schema.dump(event_statistics(session, EVENT, now=NOW))
    with known.transaction() as session:
        on_postgresql = schema.dump(event_statistics(session, EVENT, now=NOW))
    assert on_sqlite == on_postgresql
    assert on_sqlite["sessions"][0]["filled_at"] == "2024-03-23T13:00:00+01:00"
