"""Calendar feeds over HTTP: stored bytes, strong ETags, 304s and as little work per request as
possible (public feeds are kept in each process for a couple of seconds)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date, parse_date

from services.notify.models import Event, Feed
from shared.web import ErrorSchema

# A flask-smorest blueprint only so that the OpenAPI document describes the feeds (and the fuzzing
# reaches them); the views answer with stored bytes, and FeedFastPath below still answers hot
# public feeds without entering Flask.
blp = Blueprint(
    "feeds",
    __name__,
    description="Kalender-Feeds (iCalendar) / Calendar feeds (iCalendar)",
)

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CACHE_LIMIT = 2000
_PUBLIC_CACHE_CONTROL = "public, max-age=300"
_PERSONAL_CACHE_CONTROL = "private, max-age=300"


@dataclass(frozen=True)
class StoredFeed:
    body: bytes
    etag: str
    last_modified: datetime
    last_modified_header: str

    @property
    def headers_304(self) -> list[tuple[str, str]]:
        return [
            ("ETag", self.etag),
            ("Last-Modified", self.last_modified_header),
            ("Cache-Control", _PUBLIC_CACHE_CONTROL),
        ]

    @property
    def headers_200(self) -> list[tuple[str, str]]:
        return [
            *self.headers_304,
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Length", str(len(self.body))),
        ]


def _load(event: str, kind: str, key: str) -> StoredFeed | None:
    db = current_app.extensions["todo_db"]
    with db.engine.connect() as connection:
        row = connection.execute(
            select(Feed.body, Feed.etag, Feed.last_modified).where(
                Feed.event_slug == event, Feed.kind == kind, Feed.key == key
            )
        ).first()
    if row is None:
        return None
    return StoredFeed(bytes(row.body), row.etag, row.last_modified, http_date(row.last_modified))


class FeedFastPath:
    """WSGI middleware answering public feeds that are in the process's cache without entering
    Flask at all: a hot feed costs a dict lookup and a header comparison. Misses, personal
    feeds and everything else go to the app, which reads the database and fills the cache."""

    _PATH_RE = re.compile(r"^/([^/]+)/calendar(?:\.ics|/(tracks|days)/([^/]+)\.ics)$")
    _KINDS = {None: "programme", "tracks": "track", "days": "day"}

    def __init__(self, wsgi_app, cache: dict, security_headers: list[tuple[str, str]]):
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.security_headers = security_headers

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        match = (
            self._PATH_RE.match(environ.get("PATH_INFO", "")) if method in ("GET", "HEAD") else None
        )
        if match is not None:
            hit = self.cache.get((match[1], self._KINDS[match[2]], match[3] or ""))
            if hit is not None and hit[0] > time.monotonic():
                stored: StoredFeed = hit[1]
                if _not_modified(
                    stored, environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_IF_MODIFIED_SINCE")
                ):
                    start_response("304 Not Modified", stored.headers_304 + self.security_headers)
                    return [b""]
                start_response("200 OK", stored.headers_200 + self.security_headers)
                return [b""] if method == "HEAD" else [stored.body]
        return self.wsgi_app(environ, start_response)


def _cached(event: str, kind: str, key: str) -> StoredFeed | None:
    ttl = current_app.extensions["notify_settings"].feed_cache_seconds
    if kind == "personal" or ttl <= 0:
        # Personal feeds are read fresh, so a revoked token stops working at once.
        return _load(event, kind, key)
    cache: dict = current_app.extensions["notify_feed_cache"]
    now = time.monotonic()
    hit = cache.get((event, kind, key))
    if hit is not None and hit[0] > now:
        return hit[1]
    stored = _load(event, kind, key)
    if stored is not None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[(event, kind, key)] = (now + ttl, stored)
    return stored


def _not_modified(
    stored: StoredFeed, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        # Weak comparison, as RFC 9110 prescribes for If-None-Match.
        candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return stored.etag in candidates
    if if_modified_since:
        since = parse_date(if_modified_since)
        return since is not None and stored.last_modified <= since
    return False


def _serve(stored: StoredFeed, cache_control: str) -> Response:
    headers = {
        "ETag": stored.etag,
        "Last-Modified": stored.last_modified_header,
        "Cache-Control": cache_control,
    }
    if _not_modified(
        stored, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
    ):
        return Response(status=304, headers=headers)
    headers["Content-Type"] = "text/calendar; charset=utf-8"
    return Response(stored.body, status=200, headers=headers)


def _missing(event: str, what: str) -> NotFound:
    db = current_app.extensions["todo_db"]
    with db.engine.connect() as connection:
        known = connection.execute(select(Event.id).where(Event.slug == event)).first()
    if known is None:
        return NotFound(
            f"Unbekannte Veranstaltung {event!r} (noch kein Programm veröffentlicht). / "
            f"Unknown event {event!r} (no programme published yet)."
        )
    return NotFound(what)


_VALIDATOR_HEADERS = {
    "ETag": {"description": "strong entity tag of the body", "schema": {"type": "string"}},
    "Last-Modified": {"description": "when the feed last changed", "schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
}
_CONDITIONAL_PARAMETERS = [
    {
        "in": "header",
        "name": name,
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }
    for name, description in (
        ("If-None-Match", "ETag of the copy the client has: 304 if unchanged"),
        ("If-Modified-Since", "HTTP date of the copy the client has: 304 if unchanged"),
    )
]


def feed_route(rule: str, summary: str):
    """A GET route of one feed, documented as text/calendar with its 304 and 404 answers."""

    def decorator(view):
        view = blp.alt_response(404, schema=ErrorSchema, description="no such feed")(view)
        view = blp.alt_response(
            304, description="unchanged (conditional request)", headers=_VALIDATOR_HEADERS
        )(view)
        view = blp.response(
            200,
            {"type": "string", "format": "binary"},
            content_type="text/calendar",
            description="iCalendar (RFC 5545)",
            headers=_VALIDATOR_HEADERS,
        )(view)
        view = blp.doc(summary=summary, parameters=_CONDITIONAL_PARAMETERS)(view)
        return blp.route(rule, methods=["GET"])(view)

    return decorator


@feed_route("/<event>/calendar.ics", "Das ganze Programm / The whole programme")
def programme_feed(event: str):
    stored = _cached(event, "programme", "")
    if stored is None:
        raise _missing(event, "Kein Programm-Kalender. / No programme calendar.")
    return _serve(stored, _PUBLIC_CACHE_CONTROL)


@feed_route("/<event>/calendar/tracks/<track>.ics", "Ein Track / One track")
def track_feed(event: str, track: str):
    stored = _cached(event, "track", track)
    if stored is None:
        raise _missing(event, f"Unbekannter Track {track!r}. / Unknown track {track!r}.")
    return _serve(stored, _PUBLIC_CACHE_CONTROL)


@feed_route("/<event>/calendar/days/<day>.ics", "Ein Tag (JJJJ-MM-TT) / One day (YYYY-MM-DD)")
def day_feed(event: str, day: str):
    stored = _cached(event, "day", day) if _DAY_RE.match(day) else None
    if stored is None:
        raise _missing(
            event,
            f"Kein Veranstaltungstag {day!r} (Format JJJJ-MM-TT). / "
            f"{day!r} is not a day of this event (format YYYY-MM-DD).",
        )
    return _serve(stored, _PUBLIC_CACHE_CONTROL)


@feed_route(
    "/<event>/calendar/personal/<token>.ics",
    "Die eigenen Tickets (Link aus den E-Mails) / Your own tickets (link from the emails)",
)
def personal_feed(event: str, token: str):
    stored = _cached(event, "personal", token)
    if stored is None:
        raise NotFound(
            "Unbekannter oder widerrufener Kalender-Link. / Unknown or revoked calendar link."
        )
    return _serve(stored, _PERSONAL_CACHE_CONTROL)
