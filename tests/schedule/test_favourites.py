"""Favourites without registering (issue 14): the star buttons on the programme, the timetable
grid and the session page, in German and English; "My programme" without JavaScript, with the
calendar and programme addresses its script needs, and shared lists (`?ids=`) hostile or not."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest

from services.schedule.draft import find_event, list_sessions
from services.schedule.pages.favourites import MAX_SHARED, parse_ids

HTML = {"Accept": "text/html"}


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def stars(response) -> dict[str, str]:
    """Session id -> the star button's accessible name (its aria-label)."""
    found = {}
    for match in re.finditer(r'<button ([^>]*class="star[^"]*"[^>]*)>', response.text):
        attributes = match.group(1)
        assert 'type="button"' in attributes and 'aria-pressed="false"' in attributes
        session = re.search(r'data-favourite="(\d+)"', attributes).group(1)
        found[session] = unescape(re.search(r'aria-label="([^"]*)"', attributes).group(1))
    return found


def ids_by_guid(schedule_db, slug: str) -> dict[str, int]:
    with schedule_db.transaction() as session:
        return {p.guid: p.id for p in list_sessions(session, find_event(session, slug))}


@pytest.mark.parametrize(
    ("lang", "label", "title"),
    [("de", "Merken", "Session opening"), ("en", "Favourite", "Session opening")],
)
def test_every_session_card_has_a_star_named_with_its_title(
    client, schedule_db, published_event, lang, label, title
):
    ids = ids_by_guid(schedule_db, published_event)
    page = client.get(f"/{published_event}/?lang={lang}")
    assert page.status_code == 200
    found = stars(page)
    assert set(found) == {str(i) for i in ids.values()}
    assert found[str(ids["opening"])] == f"{label}: {title}"
    assert 'src="/static/schedule/favourites.js"' in page.text
    # The link to "My programme" sits beside the other views of the programme.
    my_programme = "Mein Programm" if lang == "de" else "My programme"
    assert f'href="/{published_event}/favourites">{my_programme}' in page.text


def test_the_grid_and_the_session_page_have_stars_too(client, schedule_db, published_event):
    ids = ids_by_guid(schedule_db, published_event)
    grid = client.get(f"/{published_event}/timetable?day=2024-04-29")
    assert stars(grid)[str(ids["bridges"])] == "Merken: Session bridges"
    assert "star--compact" in grid.text
    page = client.get(f"/{published_event}/sessions/{ids['care']}?lang=en")
    assert stars(page) == {str(ids["care"]): "Favourite: Session care"}


def test_stars_are_hidden_until_the_script_shows_them(client, published_event):
    page = client.get(f"/{published_event}/")
    buttons = re.findall(r"<button [^>]*class=\"star[^>]*>", page.text)
    assert buttons and all(" hidden" in button for button in buttons)
    # No inline handlers: the Content-Security-Policy allows scripts from files only.
    assert not re.search(r"\son[a-z]+=", page.text)


@pytest.mark.parametrize(
    ("lang", "heading", "needs_js"),
    [
        ("de", "Mein Programm", "braucht JavaScript"),
        ("en", "My programme", "needs JavaScript"),
    ],
)
def test_my_programme_without_javascript_says_so_and_links_the_programme(
    client, published_event, lang, heading, needs_js
):
    page = client.get(f"/{published_event}/favourites?lang={lang}", headers=HTML)
    assert page.status_code == 200
    text = text_of(page)
    assert f"<h1>{heading}</h1>" in page.text
    assert needs_js in text
    assert f'href="/{published_event}/programme"' in page.text or (
        f'href="/{published_event}/"' in page.text
    )
    assert "data-nojs" in page.text
    # What the script needs: the public programme JSON, session pages, notify's calendar.
    assert f'data-programme-url="/api/v1/events/{published_event}/programme"' in page.text
    assert f'data-session-url="/{published_event}/sessions/{{id}}"' in page.text
    calendar = re.search(r'data-calendar-url="([^"]+)"', page.text).group(1)
    assert unescape(calendar).endswith(
        f"/{published_event}/calendar/sessions.ics?ids={{ids}}&lang={lang}"
    )
    assert calendar.startswith(client.application.extensions["todo_config"].service_urls["notify"])
    assert 'src="/static/schedule/favourites.js"' in page.text


def test_the_programme_json_the_page_reads_is_public(client, published_event):
    answer = client.get(f"/api/v1/events/{published_event}/programme")
    assert answer.status_code == 200
    assert {"id", "title", "title_en", "starts_at", "ends_at", "stage", "status"} <= set(
        answer.json["sessions"][0]
    )


def test_a_shared_list_is_handed_to_the_script(client, published_event):
    page = client.get(f"/{published_event}/favourites?ids=3,1,3,2")
    assert page.status_code == 200
    assert 'data-shared-ids="3,1,2"' in page.text
    assert "Zu meinem Programm hinzufügen" in text_of(page)


@pytest.mark.parametrize(
    "ids",
    [
        "abc",
        "1,,x",
        "0",
        "-1",
        "99999999999999999999",
        "2147483648",
        "1\x00",
        "%ED%A0%80",  # a lone surrogate, as UTF-8 bytes
        "١٢",  # Arabic-Indic digits: isdigit() but not an id
        ",".join(str(i) for i in range(1, MAX_SHARED + 2)),
        "javascript:alert(1)",
    ],
)
def test_a_damaged_shared_list_is_a_readable_400(client, published_event, ids):
    query = "ids=" + quote(ids, safe="%")
    page = client.get(f"/{published_event}/favourites", query_string=query, headers=HTML)
    assert page.status_code == 400
    if "\x00" in ids:
        # The platform refuses these characters in any request, before the page.
        assert "Zeichen oder Werte" in text_of(page)
        return
    assert "beschädigt" in text_of(page)
    assert 'data-shared-ids=""' in page.text
    assert "javascript:" not in page.text


def test_my_programme_of_an_unknown_event_is_a_404(client):
    assert client.get("/nothing-here/favourites", headers=HTML).status_code == 404


def test_parse_ids():
    assert parse_ids("5, 3 ,5") == [5, 3]
    assert parse_ids("2147483647") == [2147483647]
    assert parse_ids("") is None
    assert parse_ids("1;2") is None
