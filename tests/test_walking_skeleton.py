"""End to end, as `make run` runs it: a programme published by schedule reaches registration and
notify over RabbitMQ, each keeps its own copy, and a registration reaches the attendee's mailbox."""

from __future__ import annotations

import json
import mailbox
import urllib.error
import urllib.request

import pytest

from harness.infra import wait_until
from harness.stack import Stack

pytestmark = pytest.mark.slow

PROGRAMME = {
    "format": "todo-programme/1",
    "event": {
        "slug": "skeleton",
        "title": "Skeleton Week",
        "timezone": "Europe/Berlin",
        "starts_on": "2030-05-06",
        "ends_on": "2030-05-07",
        "address": "Kampstraße 1, 44137 Dortmund",
    },
    "stages": [{"guid": "stage-roof", "name": "Roof", "address": "Kampstraße 1", "capacity": 5}],
    "tracks": [{"slug": "demografie", "name": "Demografie", "color": "#aa3300"}],
    "sessions": [
        {
            "guid": "skeleton-opening",
            "title": "Eröffnung der Skelettwoche",
            "stage": "stage-roof",
            "tracks": ["demografie"],
            "starts_at": "2030-05-06T13:00:00+02:00",
            "ends_at": "2030-05-06T14:00:00+02:00",
            "streamed": True,
            "registration": {"mode": "required", "capacity": None},
        }
    ],
}


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError:
        return None


def get_text(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except urllib.error.HTTPError:
        return ""


@pytest.fixture
def stack(make_database, private_amqp_url, tmp_path, request):
    databases = {s: make_database(s).url for s in ("schedule", "registration", "notify")}
    stack = Stack(databases, private_amqp_url, tmp_path / "var")
    try:
        yield stack.start()
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(stack.logs())


def test_published_programme_reaches_every_service_and_a_registration_reaches_the_mailbox(
    stack, tmp_path
):
    programme_file = tmp_path / "skeleton.json"
    programme_file.write_text(json.dumps(PROGRAMME))
    stack.todo("import-programme", "skeleton", str(programme_file))
    stack.todo("publish", "skeleton")

    programme = get_json(f"{stack.url('schedule')}/api/v1/events/skeleton/programme")
    [session] = programme["sessions"]
    availability_url = (
        f"{stack.url('registration')}/api/v1/events/skeleton/sessions/{session['id']}/availability"
    )
    # Eventually, not fast: a loaded CI machine may take a while to start every process.
    availability = wait_until(
        lambda: get_json(availability_url), timeout=120, message="registration's copy"
    )
    assert availability == {"capacity": 5, "confirmed": 0, "waitlisted": 0, "available": 5}
    calendar = wait_until(
        lambda: get_text(f"{stack.url('notify')}/skeleton/calendar.ics"),
        timeout=120,
        message="notify's copy",
    )
    assert "Eröffnung der Skelettwoche" in calendar.replace("\r\n ", "")

    request = urllib.request.Request(
        f"{stack.url('registration')}/api/v1/events/skeleton/registrations",
        data=json.dumps(
            {
                "name": "Erika Mustermann",
                "email": "erika@example.org",
                "sessions": [session["id"]],
                "locale": "de",
                "consent": True,
            }
        ).encode(),
        headers={"Content-Type": "application/json", "X-Correlation-ID": "skeleton-1"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        assert json.load(response)["tickets"][0]["status"] == "confirmed"

    maildir = tmp_path / "var" / "mail"
    wait_until(
        lambda: maildir.exists() and len(mailbox.Maildir(maildir, create=False)) == 1,
        timeout=30,
        message="the confirmation mail",
    )
    [mail] = list(mailbox.Maildir(maildir, create=False))
    assert mail["To"] == "Erika Mustermann <erika@example.org>"
    assert get_json(availability_url)["available"] == 4
