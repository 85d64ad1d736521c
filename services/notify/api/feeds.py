"""Calendar feeds over HTTP: stored bytes, strong ETags, 304s and as little work per request as
possible (public feeds are kept in each process for a couple of seconds)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Response, current_app
from flask_smorest import Blueprint
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date

from services.notify.api.context import feed_context
from services.notify.feeds import chosen_sessions_calendar, strong_etag
from services.notify.models import Event, Feed
from services.notify.models.feed import DAY, PERSONAL, PROGRAMME, TRACK
from services.notify.schemas import CalendarLanguageSchema, ChosenSessionsQuerySchema
from shared.i18n import N_, Message
from shared.permissions import public
from shared.web import ErrorSchema, conditional_response, db_session, not_modified

# A flask-smorest blueprint only so that the OpenAPI document describes the feeds (and the fuzzing
# reaches them); the views answer with stored bytes, and FeedFastPath below still answers hot
# public feeds without entering Flask.
blp = Blueprint(
    "feeds",
    __name__,
    description="Calendar feeds (iCalendar)",
)

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CACHE_LIMIT = 2000
_PUBLIC_CACHE_CONTROL = "public, max-age=300"
_PERSONAL_CACHE_CONTROL = "private, max-age=300"


@dataclass(frozen=True)
class FeedRoute:
    """One feed URL: its Flask rule, the kind of feed it serves and the rule's variable that is
    the feed's key (none for the whole programme)."""

    rule: str
    kind: str
    key: str | None = None

    def pattern(self) -> re.Pattern:
        """The rule as a regular expression for the WSGI fast path; its variables match what
        Flask's default converter matches (one path segment)."""
        parts = re.split(r"<([^>]*)>", self.rule)
        for variable in parts[1::2]:
            if not variable.isidentifier():
                raise ValueError(f"{self.rule}: the fast path knows no converter <{variable}>")
        return re.compile(
            "".join(
                f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
                for index, part in enumerate(parts)
            )
            + r"\Z"
        )


PROGRAMME_FEED = FeedRoute("/<event>/calendar.ics", PROGRAMME)
TRACK_FEED = FeedRoute("/<event>/calendar/tracks/<track>.ics", TRACK, "track")
DAY_FEED = FeedRoute("/<event>/calendar/days/<day>.ics", DAY, "day")
PERSONAL_FEED = FeedRoute("/<event>/calendar/personal/<token>.ics", PERSONAL, "token")
# Kept in each process and answered by FeedFastPath; personal feeds are read fresh, so that a
# revoked token stops working at once.
CACHED_FEEDS = (PROGRAMME_FEED, TRACK_FEED, DAY_FEED)


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
    Flask at all: a hot feed costs a regular expression, a dict lookup and a header comparison.
    Misses, personal feeds and everything else go to the app, which reads the database and
    fills the cache. It knows the URLs from the routes of CACHED_FEEDS, as the app does."""

    _ROUTES = tuple((route.pattern(), route) for route in CACHED_FEEDS)

    def __init__(self, wsgi_app, cache: dict, security_headers: list[tuple[str, str]]):
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.security_headers = security_headers

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        stored = self._cached(environ.get("PATH_INFO", "")) if method in ("GET", "HEAD") else None
        if stored is None:
            return self.wsgi_app(environ, start_response)
        if not_modified(
            stored.etag,
            stored.last_modified,
            environ.get("HTTP_IF_NONE_MATCH"),
            environ.get("HTTP_IF_MODIFIED_SINCE"),
        ):
            start_response("304 Not Modified", stored.headers_304 + self.security_headers)
            return [b""]
        start_response("200 OK", stored.headers_200 + self.security_headers)
        return [b""] if method == "HEAD" else [stored.body]

    def _cached(self, path: str) -> StoredFeed | None:
        for pattern, route in self._ROUTES:
            match = pattern.match(path)
            if match is not None:
                hit = self.cache.get(
                    (match["event"], route.kind, match[route.key] if route.key else "")
                )
                if hit is not None and hit[0] > time.monotonic():
                    return hit[1]
                return None
        return None


def _cached(route: FeedRoute, event: str, key: str) -> StoredFeed | None:
    ttl = current_app.extensions["notify_settings"].feed_cache_seconds
    if route not in CACHED_FEEDS or ttl <= 0:
        return _load(event, route.kind, key)
    cache: dict = current_app.extensions["notify_feed_cache"]
    now = time.monotonic()
    hit = cache.get((event, route.kind, key))
    if hit is not None and hit[0] > now:
        return hit[1]
    stored = _load(event, route.kind, key)
    if stored is not None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[(event, route.kind, key)] = (now + ttl, stored)
    return stored


def _serve(stored: StoredFeed, cache_control: str) -> Response:
    return conditional_response(
        lambda: stored.body,
        etag=stored.etag,
        last_modified=stored.last_modified,
        content_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": cache_control},
    )


def _missing(event: str, what: Message) -> NotFound:
    db = current_app.extensions["todo_db"]
    with db.engine.connect() as connection:
        known = connection.execute(select(Event.id).where(Event.slug == event)).first()
    if known is None:
        return NotFound(N_("Unknown event %(slug)r (no programme published yet).", slug=event))
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


def feed_route(route: FeedRoute, summary: str):
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
        return blp.route(route.rule, methods=["GET"])(view)

    return decorator


@feed_route(PROGRAMME_FEED, "The whole programme")
@public
def programme_feed(event: str):
    stored = _cached(PROGRAMME_FEED, event, "")
    if stored is None:
        raise _missing(event, N_("No programme calendar."))
    return _serve(stored, _PUBLIC_CACHE_CONTROL)


@feed_route(TRACK_FEED, "One track")
@public
def track_feed(event: str, track: str):
    stored = _cached(TRACK_FEED, event, track)
    if stored is None:
        raise _missing(event, N_("Unknown track %(slug)r.", slug=track))
    return _serve(stored, _PUBLIC_CACHE_CONTROL)


@feed_route(DAY_FEED, "One day (YYYY-MM-DD)")
@public
def day_feed(event: str, day: str):
    stored = _cached(DAY_FEED, event, day) if _DAY_RE.match(day) else None
    if stored is None:
        raise _missing(
            event,
            N_("%(day)r is not a day of this event (format YYYY-MM-DD).", day=day),
        )
    return _serve(stored, _PUBLIC_CACHE_CONTROL)


def _chosen(event: str, session_ids: list[int], lang: str | None) -> Response:
    calendar = chosen_sessions_calendar(db_session(), event, session_ids, feed_context(), lang)
    if calendar is None:
        raise _missing(event, N_("These sessions are not in the programme."))
    return conditional_response(
        lambda: calendar.body,
        etag=strong_etag(calendar.body),
        last_modified=calendar.changed_at,
        content_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": _PUBLIC_CACHE_CONTROL},
    )


@blp.route("/<event>/calendar/sessions/<int:session_id>.ics", methods=["GET"])
@public
@blp.arguments(CalendarLanguageSchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="text/calendar")
@blp.alt_response(404, schema=ErrorSchema, description="no such session")
def session_calendar(args: dict, event: str, session_id: int):
    """One session as a calendar file to download (`?lang=de|en`); the schedule's session
    page links it."""
    response = _chosen(event, [session_id], args["lang"])
    response.headers["Content-Disposition"] = f'attachment; filename="{event}-{session_id}.ics"'
    return response


@blp.route("/<event>/calendar/sessions.ics", methods=["GET"])
@public
@blp.arguments(ChosenSessionsQuerySchema, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="text/calendar")
@blp.alt_response(404, schema=ErrorSchema, description="none of these sessions is known")
def chosen_sessions(args: dict, event: str):
    """Chosen sessions as one calendar (`?ids=3,1,2`, e.g. someone's favourites): to download
    or to subscribe to; unknown ids are left out."""
    return _chosen(event, args["ids"], args["lang"])


@feed_route(PERSONAL_FEED, "Your own tickets (link from the emails)")
@public
def personal_feed(event: str, token: str):
    stored = _cached(PERSONAL_FEED, event, token)
    if stored is None:
        raise NotFound(N_("Unknown or revoked calendar link."))
    return _serve(stored, _PERSONAL_CACHE_CONTROL)
