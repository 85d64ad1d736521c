"""CSRF: every HTML form endpoint that changes something refuses a POST without its CSRF token or
with a forged one, also for a logged-in organiser. The only exceptions are forms whose URL carries
the attendee's secret link token (a forger cannot know it)."""

from __future__ import annotations

import re

import pytest

from services.schedule.models import OrganiserAccount
from shared.pages.organisers import set_organiser_password
from shared.service import load_service

PASSWORD = "correct horse battery staple"


def form_posts(app) -> list[str]:
    """Concrete URLs of the non-API rules that take POST."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = rule.rule
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            value = "todo2024" if name == "event" else "1" if converter == "int" else "x" * 32
            url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
        urls.append((rule.rule, url))
    return urls


def csrf_token_of(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


@pytest.mark.parametrize("service", ["schedule", "registration", "notify"])
def test_form_posts_without_a_valid_csrf_token_are_refused(service, make_database, make_config):
    db = make_database(service)
    app = load_service(service).create_app(make_config(**{f"{service}_db": db}))
    client = app.test_client()
    if service == "schedule":
        with db.transaction() as session:
            set_organiser_password(session, OrganiserAccount, "erika", PASSWORD)
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"name": "erika", "password": PASSWORD, "csrf_token": csrf_token_of(page)},
        )
        assert response.status_code == 303
    accepted = []
    checked = 0
    for rule, url in form_posts(app):
        if "<token>" in rule:
            continue  # the secret link is the proof of intent
        for data in ({}, {"csrf_token": "forged"}):
            checked += 1
            status = client.post(url, data=data, headers={"Accept": "text/html"}).status_code
            if status != 400:
                accepted.append((url, data, status))
    assert not accepted, accepted
    if service == "schedule":
        assert checked >= 10  # login, logout and the organiser forms
    app.extensions["todo_db"].dispose()
