"""No personal data in public feeds or public APIs: attendees with distinctive names and emails
register; nothing public mentions them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.security.conftest import EVENT

NAME, EMAIL = "Zacharias Geheimname", "zacharias.verborgen@example.org"
MARKERS = ("geheimname", "zacharias", "verborgen")


def test_public_feeds_and_apis_carry_no_attendee_data(platform):
    assert platform.register(NAME, EMAIL, sessions=(1, 2)).status_code == 201
    assert platform.register("Other Person", "other@example.org").status_code == 201
    platform.deliver()
    platform.send_mail()
    assert platform.smtp.messages_to(EMAIL)  # the attendee did get mail

    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    public = {
        "notify": [
            f"/{EVENT}/calendar.ics",
            f"/{EVENT}/calendar/tracks/digitalisierung.ics",
            f"/{EVENT}/calendar/days/{day}.ics",
            "/api/v1/openapi.json",
        ],
        "registration": [
            f"/api/v1/events/{EVENT}/sessions/1/availability",
            f"/api/v1/events/{EVENT}/sessions/2/availability",
            "/api/v1/openapi.json",
        ],
    }
    fetched = 0
    for service, paths in public.items():
        client = platform.clients[service]
        for path in paths:
            response = client.get(path)
            if response.status_code == 404 and "/days/" in path:
                continue  # the day feed may exist only for event days in the copy
            assert response.status_code == 200, path
            text = response.get_data(as_text=True).replace("\r\n ", "").lower()
            fetched += 1
            leaked = [m for m in MARKERS if m in text]
            assert not leaked, (path, leaked)
    assert fetched >= 5


def test_a_personal_feed_shows_no_other_attendee(platform):
    assert platform.register(NAME, EMAIL).status_code == 201
    assert platform.register("Other Person", "other@example.org").status_code == 201
    platform.deliver()
    platform.send_mail()
    [mail] = platform.smtp.messages_to("other@example.org")
    text = mail.decode("utf-8", "replace").replace("=\r\n", "")
    start = text.index("/calendar/personal/")
    path = text[text.rindex("/", 0, start - 1) : text.index(".ics", start) + 4]
    feed = platform.clients["notify"].get(path)
    assert feed.status_code == 200, path
    body = feed.get_data(as_text=True).lower()
    assert not [m for m in MARKERS if m in body]
