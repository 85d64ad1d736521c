"""axe-core finds no serious or critical accessibility problems on the schedule's pages."""

from __future__ import annotations

import pytest

from tests.support.pages import EVENT, MAIN_STAGE, PHONE, serious_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_attendee_and_organiser_pages_have_no_serious_violations(stack, new_page):
    schedule = stack.url("schedule")
    ids = stack.session_ids()
    page = new_page(viewport=PHONE)
    pages = {
        "programme": f"{schedule}/{EVENT}/",
        "programme (en)": f"{schedule}/{EVENT}/?lang=en",
        "session": f"{schedule}/{EVENT}/sessions/{ids['opening']}",
        "screen": f"{schedule}/{EVENT}/screen/{MAIN_STAGE}?at=2030-05-06T13:30:00%2B02:00",
        "login": f"{schedule}/login",
    }
    problems = {}
    for name, url in pages.items():
        page.goto(url)
        problems[name] = serious_violations(page)

    sign_in(page, schedule)
    for name, path in {
        "dashboard": "/organiser/",
        "session form": f"/organiser/sessions/{ids['care']}",
        "venues": "/organiser/stages",
        "publish": "/organiser/publish",
        "live control": "/organiser/live",
    }.items():
        page.goto(f"{schedule}/{EVENT}{path}")
        problems[name] = serious_violations(page)
    assert not {name: found for name, found in problems.items() if found}
