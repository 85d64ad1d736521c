"""The embeddable programme widget (issue 14): the sessions still to come with free seats and
"Reserve a seat" in a new tab, filtered like the programme, in German and English; framable
(and only it); the page with the code to copy."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from services.schedule.draft import find_event, list_sessions
from services.schedule.pages.programme import Filters
from services.schedule.pages.widget import upcoming_days
from services.schedule.releases import publish_release
from tests.support.schedule import BERLIN, SIDE_STAGE, make_document
from tests.support.schedule import session_item as item

HTML = {"Accept": "text/html"}
SLUG = "widgetweek"


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def _day(offset: int) -> str:
    return (datetime.now(BERLIN) + timedelta(days=offset)).date().isoformat()


@pytest.fixture
def upcoming_event(schedule_db, import_document):
    """An event with one session over (yesterday), three to come in ten and eleven days (one of
    them without registration, one in another track) and a cancelled one; returns id by guid."""
    soon, later = _day(10), _day(11)
    document = make_document(
        [
            item("past", f"{_day(-1)} 10:00", tracks=["demografie"]),
            item("opening", f"{soon} 13:00", tracks=["demografie"], title_en="Opening"),
            item("care", f"{soon} 15:00", tracks=["digitalisierung"]),
            item("info", f"{later} 10:00", stage=SIDE_STAGE, registration={"mode": "none"}),
            item("dropped", f"{later} 12:00", tracks=["demografie"]),
        ],
        slug=SLUG,
    )
    document["event"] |= {"starts_on": _day(-1), "ends_on": later}
    with schedule_db.transaction() as session:
        event = import_document(session, document).event
        publish_release(session, event, "")
    cancelled = copy.deepcopy(document)
    cancelled["sessions"] = [s for s in cancelled["sessions"] if s["guid"] != "dropped"]
    with schedule_db.transaction() as session:
        event = import_document(session, cancelled).event
        publish_release(session, event, "")
    with schedule_db.transaction() as session:
        return {p.guid: p.id for p in list_sessions(session, find_event(session, SLUG))}


def test_widget_lists_the_sessions_still_to_come_in_german(client, upcoming_event, make_config):
    page = client.get(f"/{SLUG}/widget", headers=HTML)
    assert page.status_code == 200
    text = text_of(page)
    assert "Session opening" in text and "Session care" in text and "Session info" in text
    assert "Session past" not in text
    assert "Session dropped" not in text  # cancelled
    assert text.index("Session opening") < text.index("Session care") < text.index("Session info")
    # No site header, footer or navigation inside someone else's page.
    assert "site-header" not in page.text and "site-footer" not in page.text
    # Free seats come from the registration service, as on the programme.
    registration = client.application.extensions["todo_config"].service_urls["registration"]
    assert (
        f'data-availability-url="{registration}/api/v1/events/{SLUG}/sessions/{{id}}/availability"'
        in page.text
    )
    assert f'class="badge badge--seats seats" data-session="{upcoming_event["opening"]}"' in (
        page.text
    )
    reserve = re.findall(r'<a class="button widget__reserve" href="([^"]+)" ([^>]*)>', page.text)
    assert len(reserve) == 2  # the session without registration has none
    href, attributes = reserve[0]
    assert unescape(href) == (
        f"{registration}/{SLUG}/register?sessions={upcoming_event['opening']}&lang=de"
    )
    assert 'target="_blank"' in attributes and 'rel="noopener"' in attributes
    assert "Platz sichern" in text and "Ohne Anmeldung" in text
    # Every link leaves the frame for a new tab.
    for anchor in re.findall(r"<a [^>]*>", page.text):
        assert 'target="_blank"' in anchor and 'rel="noopener"' in anchor, anchor
    assert 'src="/static/schedule/programme.js"' in page.text
    assert 'src="/static/schedule/widget.js"' in page.text
    assert not re.search(r"\son[a-z]+=", page.text)


def test_widget_in_english_with_english_titles(client, upcoming_event):
    page = client.get(f"/{SLUG}/widget?lang=en", headers=HTML)
    text = text_of(page)
    assert '<html lang="en">' in page.text
    assert "Opening" in text and "Reserve a seat" in text and "No registration needed" in text
    assert "&amp;lang=en" in page.text


def test_widget_filters_by_track_and_day(client, upcoming_event):
    text = text_of(client.get(f"/{SLUG}/widget?track=digitalisierung", headers=HTML))
    assert "Session care" in text and "Session opening" not in text
    text = text_of(client.get(f"/{SLUG}/widget?day={_day(11)}", headers=HTML))
    assert "Session info" in text and "Session care" not in text
    text = text_of(client.get(f"/{SLUG}/widget?track=nothing", headers=HTML))
    assert "Dazu stehen keine Veranstaltungen mehr an." in text


@pytest.mark.parametrize(
    "query",
    ["track=" + "x" * 5000, "day=99999-99-99", "day=%00", "track=%ED%A0%80", "lang=xx", "lang="],
)
def test_widget_survives_odd_filters(client, upcoming_event, query):
    page = client.get(f"/{SLUG}/widget?{query}", headers=HTML)
    assert page.status_code in (200, 400)
    assert "Traceback" not in page.text


def test_only_the_widget_may_be_framed(client, upcoming_event):
    widget = client.get(f"/{SLUG}/widget", headers=HTML)
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget.headers
    for path in (f"/{SLUG}/widget/embed", f"/{SLUG}/", f"/{SLUG}/favourites"):
        page = client.get(path, headers=HTML)
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"], path
        assert page.headers["X-Frame-Options"] == "DENY", path


def test_widget_of_an_unknown_event_is_a_404(client):
    assert client.get("/nothing-here/widget", headers=HTML).status_code == 404
    assert client.get("/nothing-here/widget/embed", headers=HTML).status_code == 404


def test_after_the_event_the_widget_says_nothing_is_to_come(client, published_event):
    # The test programme's sessions were in April 2024.
    text = text_of(client.get(f"/{published_event}/widget", headers=HTML))
    assert "Es stehen keine Veranstaltungen mehr an." in text
    assert "Das ganze Programm" in text


@pytest.mark.parametrize(("lang", "heading"), [("de", "Code zum Kopieren"), ("en", "Code to copy")])
def test_embed_page_shows_the_code_to_copy(client, upcoming_event, lang, heading):
    page = client.get(f"/{SLUG}/widget/embed?lang={lang}", headers=HTML)
    assert page.status_code == 200
    text = text_of(page)
    assert heading in text and "todo-dortmund.de" in text
    schedule = client.application.extensions["todo_config"].service_urls["schedule"]
    # Shown as text, never as a frame on this page.
    assert "<iframe" not in page.text
    assert f"&lt;iframe src=&#34;{schedule}/{SLUG}/widget?lang={lang}&#34;" in page.text
    assert f"{schedule}/static/schedule/widget-embed.js" in text


def test_embed_page_puts_language_and_filters_into_the_code(client, upcoming_event):
    page = client.get(
        f"/{SLUG}/widget/embed?widget_lang=en&track=digitalisierung&day={_day(10)}", headers=HTML
    )
    code = unescape(unescape(re.search(r"<code>(.*?)</code>", page.text, re.S).group(1)))
    assert f"/{SLUG}/widget?lang=en&track=digitalisierung&day={_day(10)}" in code
    assert 'title="Programme of Testwoche"' in code  # in the widget's language
    # What the programme does not offer stays out of the code.
    page = client.get(
        f"/{SLUG}/widget/embed?widget_lang=xx&track=%22%3E%3Cscript%3E&day=javascript:1",
        headers=HTML,
    )
    code = unescape(unescape(re.search(r"<code>(.*?)</code>", page.text, re.S).group(1)))
    assert f'/{SLUG}/widget?lang=de"' in code
    assert "<script>" not in page.text.split("<code>")[1].split("</code>")[0]


def test_upcoming_days_stops_at_the_limit(schedule_db, upcoming_event, client):
    data = client.get(f"/api/v1/events/{SLUG}/programme").json
    with client.application.test_request_context("/"):
        days, more = upcoming_days(data["sessions"], Filters(), datetime.now(UTC), limit=1)
        assert [s["title"] for _day_, _label, sessions in days for s in sessions] == [
            "Session opening"
        ]
        assert more
        days, more = upcoming_days(data["sessions"], Filters(), datetime.now(UTC), limit=10)
        assert sum(len(sessions) for _d, _l, sessions in days) == 3 and not more
