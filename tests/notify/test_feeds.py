"""Calendar feeds over HTTP: content, validity, ETag/304, 404s, no personal data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream

from services.notify.app import create_app
from tests.support.notify import (
    assert_valid_calendar,
    berlin,
    calendar_parts,
    events_of,
    parse_mail,
)

FEED_URLS = (
    "/todo2024/calendar.ics",
    "/todo2024/calendar/tracks/digitalisierung.ics",
    "/todo2024/calendar/days/2024-04-29.ics",
    "/todo2024/calendar/days/2024-05-01.ics",
)


@pytest.fixture
def client(notify_config, notify_settings):
    return create_app(notify_config, notify_settings).test_client()


@pytest.fixture
def published(deliver, release_data, session_info):
    sessions = [
        session_info(1),
        session_info(2, tracks=[{"slug": "demografie", "name": "Demografie"}], speakers=[]),
        session_info(3, status="cancelled"),
    ]
    deliver("schedule.release.published", release_data(1, sessions=sessions))
    return sessions


@pytest.mark.parametrize("url", FEED_URLS)
def test_feed_is_valid_calendar_with_headers(published, client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"]
    assert "max-age" in response.headers["Cache-Control"]
    calendar = assert_valid_calendar(response.data)
    assert str(calendar["x-wr-calname"]).startswith("to:DO")
    assert str(calendar["name"]) == str(calendar["x-wr-calname"])
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.data
    assert b"X-PUBLISHED-TTL:PT1H" in response.data


def test_programme_feed_content(published, client):
    events = {
        str(e["uid"]): e for e in events_of(assert_valid_calendar(client.get(FEED_URLS[0]).data))
    }

    assert set(events) == {f"session-{n}@todo.example" for n in (1, 2, 3)}
    first = events["session-1@todo.example"]
    assert str(first["url"]) == "https://todo-dortmund.de/programm/1"
    assert str(first["location"]) == "Baseology, Kampstraße 1, 44137 Dortmund"
    assert "Eva Beispiel (adesso)" in str(first["description"])
    assert "https://todo-dortmund.de/live" in str(first["description"])
    assert first["categories"].cats == ["Digitalisierung"]
    assert first["last-modified"].dt == datetime(2024, 4, 1, 13, tzinfo=UTC)
    assert str(events["session-3@todo.example"]["status"]) == "CANCELLED"


def test_track_and_day_feeds_hold_their_sessions(published, client):
    def uids(url):
        return sorted(str(e["uid"]) for e in events_of(assert_valid_calendar(client.get(url).data)))

    assert uids("/todo2024/calendar/tracks/demografie.ics") == ["session-2@todo.example"]
    assert len(uids("/todo2024/calendar/days/2024-04-29.ics")) == 3
    assert uids("/todo2024/calendar/days/2024-05-01.ics") == []


def test_a_night_session_belongs_to_the_day_feed_of_the_evening_before(
    deliver, release_data, session_info, client
):
    """A day runs 04:00-03:59, as in the frab exports (`shared.calendars.event_day`)."""
    night = session_info(
        4,
        starts_at=berlin("2024-04-30", "01:00"),
        ends_at=berlin("2024-04-30", "02:00"),
    )
    deliver("schedule.release.published", release_data(1, sessions=[session_info(1), night]))

    def uids(url):
        return sorted(str(e["uid"]) for e in events_of(assert_valid_calendar(client.get(url).data)))

    assert uids("/todo2024/calendar/days/2024-04-29.ics") == [
        "session-1@todo.example",
        "session-4@todo.example",
    ]
    assert uids("/todo2024/calendar/days/2024-04-30.ics") == []


def test_etag_and_last_modified_answer_304(published, client):
    first = client.get(FEED_URLS[0])
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    not_modified = client.get(FEED_URLS[0], headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert client.get(FEED_URLS[0], headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    assert client.get(FEED_URLS[0], headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(FEED_URLS[0], headers={"If-None-Match": '"other"'}).status_code == 200
    earlier = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert client.get(FEED_URLS[0], headers={"If-Modified-Since": earlier}).status_code == 200


def test_same_programme_gives_same_bytes_and_a_change_a_new_etag(
    published, deliver, release_data, session_info, client
):
    before = client.get(FEED_URLS[0])
    deliver("schedule.release.published", release_data(2, sessions=published))
    again = client.get(FEED_URLS[0])
    assert again.data == before.data
    assert again.headers["ETag"] == before.headers["ETag"]

    deliver(
        "schedule.release.published",
        release_data(3, sessions=[session_info(1, title="Neu"), *published[1:]]),
    )
    changed = client.get(FEED_URLS[0], headers={"If-None-Match": before.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != before.headers["ETag"]
    assert b"SUMMARY:Neu" in changed.data


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/nope/calendar.ics", "Unknown event"),
        ("/todo2024/calendar/tracks/nope.ics", "Unknown track"),
        ("/todo2024/calendar/days/2024-06-01.ics", "not a day of this event"),
        ("/todo2024/calendar/days/tomorrow.ics", "YYYY-MM-DD"),
        ("/todo2024/calendar/personal/not-a-token.ics", "Unknown or revoked"),
    ],
)
def test_unknown_feeds_answer_404_with_a_reason(published, client, url, words):
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert words in response.get_json()["message"]


def test_public_feeds_hold_no_personal_data(published, deliver, ticket_data, client):
    deliver(
        "registration.ticket.confirmed", ticket_data(name="Zoe Geheim", email="zoe@secret.example")
    )
    personal = client.get("/todo2024/calendar/personal/feedtoken-1-aaaaaaaaaaaaaaaa.ics")
    assert personal.status_code == 200
    assert personal.headers["Cache-Control"].startswith("private")

    for url in (*FEED_URLS, "/todo2024/calendar/tracks/demografie.ics"):
        body = client.get(url).data
        for secret in (
            b"Zoe",
            b"Geheim",
            b"zoe@secret",
            b"feedtoken",
            b"TKT-",
            b"ATTENDEE",
        ):
            assert secret not in body, (url, secret)
        # The only address is the organiser's public one, as ORGANIZER (iTIP's PUBLISH).
        unfolded = body.decode().replace("\r\n ", "")
        addresses = set(re.findall(r"^(\w+)[^\r\n]*mailto:([^\r\n]+)", unfolded, re.MULTILINE))
        assert addresses <= {("ORGANIZER", "programm@todo-dortmund.de")}, url


def test_every_feed_has_a_component_and_every_event_an_organizer(published, client):
    # RFC 5545 wants at least one component, iTIP's PUBLISH an ORGANIZER in every event.
    empty_day = icalendar.Calendar.from_ical(
        client.get("/todo2024/calendar/days/2024-05-01.ics").data
    )
    assert not empty_day.walk("VEVENT") and empty_day.walk("VTIMEZONE")
    programme = icalendar.Calendar.from_ical(client.get("/todo2024/calendar.ics").data)
    assert all(
        str(vevent["organizer"]) == "mailto:programm@todo-dortmund.de"
        for vevent in programme.walk("VEVENT")
    )


def test_revoked_personal_feed_answers_404(published, deliver, ticket_data, client):
    deliver("registration.ticket.confirmed", ticket_data())
    old = "/todo2024/calendar/personal/feedtoken-1-aaaaaaaaaaaaaaaa.ics"
    assert client.get(old).status_code == 200
    attendee = ticket_data(feed_token="feedtoken-1-cccccccccccccccc")["attendee"]
    deliver("registration.attendee.updated", {"event": "todo2024", "attendee": attendee})

    assert client.get(old).status_code == 404
    assert (
        client.get("/todo2024/calendar/personal/feedtoken-1-cccccccccccccccc.ics").status_code
        == 200
    )


def test_dtstart_is_right_on_both_sides_of_dst_changes(
    deliver, release_data, session_info, ticket_data, mails, client
):
    # 2024-03-31 02:00 CET -> CEST, 2024-10-27 03:00 CEST -> CET.
    moments = {
        1: ("2024-03-30", "10:00", "+01:00"),
        2: ("2024-03-31", "10:00", "+02:00"),
        3: ("2024-10-26", "10:00", "+02:00"),
        4: ("2024-10-27", "10:00", "+01:00"),
    }
    sessions = [
        session_info(n, starts_at=berlin(day, time, off), ends_at=berlin(day, "11:00", off))
        for n, (day, time, off) in moments.items()
    ]
    deliver("schedule.release.published", release_data(1, sessions=sessions))
    deliver("registration.ticket.confirmed", ticket_data(session=2))
    deliver("registration.ticket.confirmed", ticket_data(ticket_id=2, session=4))
    body = client.get(FEED_URLS[0]).data
    invitations = [calendar_parts(parse_mail(mail.message))[0].get_content() for mail in mails()]

    expected = {
        f"session-{n}@todo.example": datetime.fromisoformat(berlin(day, time, off))
        for n, (day, time, off) in moments.items()
    }
    for text in (body.decode(), *invitations):
        for event in events_of(assert_valid_calendar(text)):
            start = event.DTSTART
            assert start == expected[str(event["uid"])]
            assert start.utcoffset() == expected[str(event["uid"])].utcoffset()
            assert str(start.tzinfo) == "Europe/Berlin"
        for vevent in vobject.readOne(text).vevent_list:
            wanted = expected[vevent.uid.value]
            assert vevent.dtstart.value == wanted
            assert vevent.dtstart.value.utcoffset() == wanted.utcoffset()
        for event in IcsCalendarStream.calendar_from_ics(text).events:
            assert event.dtstart == expected[event.uid]
            assert event.dtstart.utcoffset() == expected[event.uid].utcoffset()


@pytest.mark.parametrize("url", FEED_URLS[:3])
def test_cached_public_feed_is_served_by_the_fast_path(published, notify_config, url):
    from services.notify.settings import NotifySettings

    client = create_app(notify_config, NotifySettings(feed_cache_seconds=60)).test_client()
    first = client.get(url)
    cached = client.get(url)
    assert "X-Correlation-ID" not in cached.headers  # answered before Flask
    assert cached.data == first.data
    for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control"):
        assert cached.headers[name] == first.headers[name]
    for validator in (
        {"If-None-Match": first.headers["ETag"]},
        {"If-Modified-Since": first.headers["Last-Modified"]},
    ):
        unchanged = client.get(url, headers=validator)
        assert unchanged.status_code == 304
        assert "X-Correlation-ID" not in unchanged.headers
    assert client.head(url).data == b""
    # Unknown feeds and personal ones still go through the app.
    assert client.get("/todo2024/calendar/tracks/nope.ics").status_code == 404


# -- calendars of chosen sessions: one session's download, someone's favourites ------------------


def test_one_sessions_download_is_written_like_the_feeds(published, client, deliver, release_data):
    response = client.get("/todo2024/calendar/sessions/1.ics?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="todo2024-1.ics"'
    calendar = assert_valid_calendar(response.data)
    [vevent] = events_of(calendar)
    assert str(vevent["uid"]) == "session-1@todo.example"
    assert str(vevent["summary"]) == "Session 1: Work 4.0"
    assert vevent["sequence"] == 0
    assert str(vevent["organizer"]).startswith("mailto:")
    assert b"DTSTART;TZID=Europe/Berlin:20240429T180000" in response.data
    # ical.js (Thunderbird, Nextcloud) reads only the first value of an RDATE list: the time
    # zone describes the session's year with single transitions, summer time included.
    [zone] = calendar.walk("VTIMEZONE")
    assert all("," not in line for line in response.data.decode().splitlines() if "RDATE" in line)
    assert all(part.decoded("dtstart").year == 2024 for part in zone.walk("DAYLIGHT"))
    # Conditional GET, as for every calendar.
    again = client.get(
        "/todo2024/calendar/sessions/1.ics?lang=en",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_a_moved_session_downloads_with_a_higher_sequence(
    published, client, deliver, release_data, session_info
):
    moved = session_info(
        1, starts_at=berlin("2024-04-30", "10:00"), ends_at=berlin("2024-04-30", "11:00")
    )
    deliver("schedule.release.published", release_data(2, sessions=[moved, *published[1:]]))
    [vevent] = events_of(
        assert_valid_calendar(client.get("/todo2024/calendar/sessions/1.ics").data)
    )
    assert vevent["sequence"] == 1


def test_favourites_as_one_calendar_leave_unknown_ids_out(published, client):
    response = client.get("/todo2024/calendar/sessions.ics?ids=2,1,999,2")
    assert response.status_code == 200
    calendar = assert_valid_calendar(response.data)
    assert str(calendar["x-wr-calname"]) == "to:DO – Dortmunds neue Arbeit – mein Programm"
    assert sorted(str(e["uid"]) for e in events_of(calendar)) == [
        "session-1@todo.example",
        "session-2@todo.example",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "ids=",
        "ids=1,x",
        "ids=0",
        "ids=99999999999",
        "ids=" + ",".join(map(str, range(1, 300))),
        "lang=fr&ids=1",
    ],
)
def test_a_bad_choice_of_sessions_answers_422_naming_the_field(published, client, query):
    response = client.get(f"/todo2024/calendar/sessions.ics?{query}")
    assert response.status_code == 422
    assert set(response.json["errors"]) <= {"ids", "lang"} and response.json["errors"]


def test_unknown_sessions_or_events_answer_404(published, client):
    assert client.get("/todo2024/calendar/sessions/999.ics").status_code == 404
    assert client.get("/todo2024/calendar/sessions.ics?ids=999").status_code == 404
    assert client.get("/other/calendar/sessions/1.ics").status_code == 404
