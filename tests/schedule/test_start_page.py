"""The start page `GET /` lists the published events by organisation (issue 12): organisations
alphabetically, events of none last; in each group the coming events soonest first, then the
past ones, most recent first, marked as past; in German and English."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from lxml import html
from werkzeug.serving import make_server

from services.schedule.draft import create_event, find_event
from services.schedule.organisations import create_organisation, set_owner
from services.schedule.reads import published_events_by_organisation
from services.schedule.releases import publish_release
from tests.support.pages import CHROMIUM, PHONE, require_chromium, screenshot, serious_violations
from tests.support.schedule import BERLIN

HTML = {"Accept": "text/html"}
BOCHUM = ("bochum", "Bochum – Arbeit der Zukunft")
DORTMUND = ("todo-dortmund", "to:DO – Dortmunds neue Arbeit")
# Lower-case "to:DO" sorts before "Unna" only when case is ignored.
UNNA = ("unna", "Unna – Zukunft gestalten")
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def make_event(schedule_db):
    """make_event(slug, title, starts_on, ends_on, organisation=None, published=True)."""

    def make(
        slug: str,
        title: str,
        starts_on: date,
        ends_on: date,
        organisation: str | None = None,
        published: bool = True,
    ) -> None:
        with schedule_db.transaction() as session:
            event = create_event(
                session, {"slug": slug, "title": title, "starts_on": starts_on, "ends_on": ends_on}
            )
            if organisation is not None:
                set_owner(session, event, organisation)
            if published:
                publish_release(session, event, "erste Fassung")

    return make


@pytest.fixture
def make_organisation(schedule_db):
    def make(slug: str, name: str) -> None:
        with schedule_db.transaction() as session:
            create_organisation(session, slug, name)

    return make


@pytest.fixture
def platform_events(make_organisation, make_event):
    """Three organisations with past, running and coming events, one of them unpublished, one
    organisation without published events, and events of no organisation."""
    today = datetime.now(BERLIN).date()
    for slug, name in (DORTMUND, BOCHUM, UNNA, ("essen", "Essen – nichts veröffentlicht")):
        make_organisation(slug, name)
    coming = today + timedelta(days=60)
    make_event("todo2024", "to:DO 2024", date(2024, 4, 29), date(2024, 5, 3), DORTMUND[0])
    make_event("todo2099", "to:DO 2099", date(2099, 4, 27), date(2099, 5, 1), DORTMUND[0])
    make_event("bowo2023", "Bochumer Woche 2023", date(2023, 9, 4), date(2023, 9, 8), BOCHUM[0])
    make_event("bowo2024", "Bochumer Woche 2024", date(2024, 9, 2), date(2024, 9, 6), BOCHUM[0])
    make_event("bowo-later", "Bochum später", coming, coming + timedelta(days=2), BOCHUM[0])
    make_event(
        "bowo-now", "Bochum jetzt", today - timedelta(days=1), today + timedelta(days=1), BOCHUM[0]
    )
    make_event("bowo-draft", "Bochum Entwurf", coming, coming, BOCHUM[0], published=False)
    make_event("unna2024", "Unnaer Tage", date(2024, 6, 10), date(2024, 6, 10), UNNA[0])
    make_event("essen-draft", "Essen Entwurf", coming, coming, "essen", published=False)
    make_event("altwoche", "Alte Woche", date(2022, 5, 2), date(2022, 5, 6))
    make_event("neuwoche", "Neue Woche", date(2098, 3, 2), date(2098, 3, 6))


def start_page(client, query: str = "") -> html.HtmlElement:
    response = client.get(f"/{query}", headers=HTML)
    assert response.status_code == 200
    return html.fromstring(response.text)


def groups_of(page: html.HtmlElement) -> list[tuple[str | None, list[str]]]:
    """Each list of events on the page: the heading above it (None: none) and its entries'
    texts, spaces collapsed."""
    groups = []
    for listing in page.xpath("//main//ul[contains(@class, 'event-list')]"):
        headings = listing.xpath("preceding-sibling::h2")
        heading = headings[-1].text_content().strip() if headings else None
        entries = [" ".join(item.text_content().split()) for item in listing.xpath("./li")]
        groups.append((heading, entries))
    return groups


def titles_of(page: html.HtmlElement) -> list[list[str]]:
    """The linked titles of each list of events."""
    return [
        [link.text_content() for link in listing.xpath("./li/a")]
        for listing in page.xpath("//main//ul[contains(@class, 'event-list')]")
    ]


def test_events_are_grouped_by_organisation_coming_first_then_past_in_german(
    client, platform_events
):
    page = start_page(client, "?lang=de")
    groups = groups_of(page)

    assert [heading for heading, _ in groups] == [
        BOCHUM[1],
        DORTMUND[1],
        UNNA[1],
        "Weitere Veranstaltungen",
    ]
    assert titles_of(page)[0] == [
        "Bochum jetzt",
        "Bochum später",
        "Bochumer Woche 2024",
        "Bochumer Woche 2023",
    ]
    bochum = groups[0][1]
    assert bochum[2] == "Bochumer Woche 2024 02.09.2024 – 06.09.2024 vergangen"
    assert bochum[3] == "Bochumer Woche 2023 04.09.2023 – 08.09.2023 vergangen"
    assert not any("vergangen" in entry for entry in bochum[:2])
    assert groups[1][1] == [
        "to:DO 2099 27.04.2099 – 01.05.2099",
        "to:DO 2024 29.04.2024 – 03.05.2024 vergangen",
    ]
    assert groups[2][1] == ["Unnaer Tage 10.06.2024 vergangen"]
    assert groups[3][1] == [
        "Neue Woche 02.03.2098 – 06.03.2098",
        "Alte Woche 02.05.2022 – 06.05.2022 vergangen",
    ]
    text = page.text_content()
    assert "Entwurf" not in text and "Essen" not in text
    # Each organisation is a section named by its heading; the links lead to the programmes.
    section = page.xpath("//section[@aria-labelledby='organisation-bochum']")[0]
    assert section.xpath("h2/@id") == ["organisation-bochum"]
    assert section.xpath(".//a/@href")[0] == "/bowo-now/programme"


def test_the_start_page_in_english(client, platform_events):
    groups = groups_of(start_page(client, "?lang=en"))

    assert [heading for heading, _ in groups] == [BOCHUM[1], DORTMUND[1], UNNA[1], "More events"]
    assert groups[1][1] == [
        "to:DO 2099 Apr 27, 2099 – May 1, 2099",
        "to:DO 2024 Apr 29, 2024 – May 3, 2024 past",
    ]
    assert groups[3][1][1] == "Alte Woche May 2, 2022 – May 6, 2022 past"
    assert "past" not in " ".join(groups[0][1][:2])


def test_without_organisations_the_events_have_no_heading(client, make_event):
    assert (
        "Es ist noch kein Programm veröffentlicht." in start_page(client, "?lang=de").text_content()
    )

    make_event("altwoche", "Alte Woche", date(2022, 5, 2), date(2022, 5, 6))
    make_event("neuwoche", "Neue Woche", date(2098, 3, 2), date(2098, 3, 6))
    page = start_page(client, "?lang=de")

    assert groups_of(page) == [
        (
            None,
            [
                "Neue Woche 02.03.2098 – 06.03.2098",
                "Alte Woche 02.05.2022 – 06.05.2022 vergangen",
            ],
        )
    ]
    assert not page.xpath("//main//h2")


def test_an_event_is_past_once_its_last_day_is_over_where_it_takes_place(schedule_db, make_event):
    make_event("testweek", "Testwoche", date(2024, 4, 29), date(2024, 5, 3))
    make_event("nyweek", "NY", date(2024, 4, 29), date(2024, 5, 3))
    with schedule_db.transaction() as session:
        find_event(session, "nyweek").timezone = "America/New_York"

    def past(now: datetime) -> dict[str, bool]:
        with schedule_db.transaction() as session:
            (group,) = published_events_by_organisation(session, now)
            return {event.slug: event.past for event in group.events}

    # 23:30 on the last day in Berlin (21:30 UTC): still on; half an hour later: past.
    assert past(datetime(2024, 5, 3, 21, 30, tzinfo=UTC)) == {"testweek": False, "nyweek": False}
    assert past(datetime(2024, 5, 3, 22, 30, tzinfo=UTC)) == {"testweek": True, "nyweek": False}
    # In New York the last day ends six hours later.
    assert past(datetime(2024, 5, 4, 3, 30, tzinfo=UTC)) == {"testweek": True, "nyweek": False}
    assert past(datetime(2024, 5, 4, 4, 30, tzinfo=UTC)) == {"testweek": True, "nyweek": True}


@pytest.mark.browser
@pytest.mark.slow
def test_the_start_page_in_a_browser(schedule_app, platform_events):
    """Phone and desktop screenshots (artifacts/screenshots/start-page-*.png), no serious
    accessibility problem, nothing refused by the Content-Security-Policy."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    server = make_server("127.0.0.1", 0, schedule_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    refused: list[str] = []
    problems = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                    for lang in ("de", "en"):
                        context = browser.new_context(viewport=viewport)
                        page = context.new_page()
                        page.on(
                            "console",
                            lambda message: (
                                refused.append(message.text)
                                if "Content Security Policy" in message.text
                                else None
                            ),
                        )
                        page.goto(f"{url}?lang={lang}")
                        screenshot(page, f"start-page-{name}-{lang}")
                        problems[f"{name} {lang}"] = serious_violations(page)
                        context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
        thread.join()
    assert not {name: found for name, found in problems.items() if found}
    assert not refused
