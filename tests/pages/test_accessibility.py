"""axe-core finds no serious or critical accessibility problems on the schedule's pages."""

from __future__ import annotations

import pytest

from harness.infra import wait_until
from tests.support.pages import (
    EVENT,
    MAIN_STAGE,
    PHONE,
    register_attendee,
    serious_violations,
    sign_in,
)

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

    # The organiser's pages of registration and notify (issue 13), with one attendee.
    wait_until(
        lambda: stack.availability(ids["opening"]) is not None,
        timeout=60,
        message="registration has the programme",
    )
    register_attendee(stack, "Jürgen Größe", "juergen@example.org", [ids["opening"]])
    registration, notify = stack.url("registration"), stack.url("notify")
    page.goto(f"{registration}/{EVENT}/organiser/attendees")
    page.get_by_role("link", name="Jürgen Größe").click()
    for name, url in {
        "attendees": f"{registration}/{EVENT}/organiser/attendees?q=gr%C3%B6%C3%9Fe",
        "attendee": page.url,
        "check-in": f"{registration}/{EVENT}/organiser/check-in",
        "statistics": f"{registration}/{EVENT}/organiser/statistics",
        "statistics (en)": f"{registration}/{EVENT}/organiser/statistics?lang=en",
        "session statistics": (
            f"{registration}/{EVENT}/organiser/statistics/sessions/{ids['opening']}"
        ),
        "messages": f"{notify}/{EVENT}/organiser/messages",
        "mails": f"{notify}/{EVENT}/organiser/mails",
        "mails (en)": f"{notify}/{EVENT}/organiser/mails?lang=en&state=failed",
    }.items():
        page.goto(url)
        problems[name] = serious_violations(page)
    assert not {name: found for name, found in problems.items() if found}
