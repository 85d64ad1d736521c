"""Cheap public reads: stored release renderings, and the published events for the start page.

A release never changes, so each process caches its rendered bytes. Which release is the latest
is looked up at most once per `head_ttl` seconds per event and export (one small indexed query),
so a new release reaches every process within that time; clients cache for longer anyway
(`Cache-Control: max-age`), and serving stays free of database work on the hot path.
"""

from __future__ import annotations

import gzip
import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from services.schedule.draft import event_timezone
from services.schedule.models import Event, EventOwner, Organisation, Release, ReleaseExport
from shared.db import Database, utcnow

_HEAD = (
    select(
        Release.id,
        Release.number,
        Release.published_at,
        ReleaseExport.etag,
        ReleaseExport.media_type,
    )
    .join(ReleaseExport, ReleaseExport.release_id == Release.id)
    .join(Event, Event.id == Release.event_id)
    .where(Event.slug == bindparam("slug"), ReleaseExport.name == bindparam("name"))
)
_LATEST = _HEAD.order_by(Release.number.desc()).limit(1)
_NUMBERED = _HEAD.where(Release.number == bindparam("number"))
_BODY = select(ReleaseExport.body).where(
    ReleaseExport.release_id == bindparam("release_id"), ReleaseExport.name == bindparam("name")
)


@dataclass(frozen=True)
class StoredExport:
    release_id: int
    name: str
    number: int
    published_at: datetime
    etag: str
    media_type: str


class ExportStore:
    def __init__(self, db: Database, *, head_ttl: float = 1.0, cached_bodies: int = 64):
        self.db = db
        self.head_ttl = head_ttl
        self.cached_bodies = cached_bodies
        self._bodies: OrderedDict[tuple[int, str, bool], bytes] = OrderedDict()
        self._heads: dict[tuple[str, str, int | None], tuple[float, StoredExport | None]] = {}
        self._lock = threading.Lock()

    def find(self, slug: str, name: str, number: int | None = None) -> StoredExport | None:
        """The export `name` of the event's latest release (or of release `number`)."""
        key = (slug, name, number)
        now = time.monotonic()
        cached = self._heads.get(key)
        if cached is not None and (now < cached[0] or (number is not None and cached[1])):
            return cached[1]
        query, params = (_LATEST, {}) if number is None else (_NUMBERED, {"number": number})
        with self.db.engine.connect() as connection:
            row = connection.execute(query, {"slug": slug, "name": name, **params}).first()
        export = None
        if row is not None:
            export = StoredExport(
                row.id, name, row.number, row.published_at, row.etag, row.media_type
            )
        with self._lock:
            if len(self._heads) > 10_000:  # unknown slugs must not grow it without bound
                self._heads.clear()
            self._heads[key] = (now + self.head_ttl, export)
        return export

    def body(self, export: StoredExport, *, gzipped: bool = False) -> bytes:
        """The stored bytes, or their gzip (compressed once per process and release)."""
        key = (export.release_id, export.name, gzipped)
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                return body
        if gzipped:
            # mtime=0 keeps the compressed bytes identical in every process, like their ETag.
            body = gzip.compress(self.body(export), compresslevel=6, mtime=0)
        else:
            with self.db.engine.connect() as connection:
                body = connection.execute(
                    _BODY, {"release_id": export.release_id, "name": export.name}
                ).scalar_one()
        with self._lock:
            self._bodies[key] = body
            while len(self._bodies) > self.cached_bodies:
                self._bodies.popitem(last=False)
        return body


@dataclass(frozen=True)
class ListedEvent:
    """A published event on the start page; `past` once its last day is over where it happens."""

    slug: str
    title: str
    starts_on: date
    ends_on: date
    past: bool


@dataclass(frozen=True)
class OrganisationEvents:
    """One organisation's published events (`organisation` and `name` None: of no organisation)."""

    organisation: str | None
    name: str | None
    events: list[ListedEvent]


def _alphabetical(name: str) -> str:
    """A sort key that puts "Ärzte" beside "Arbeit" and ignores case."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def published_events_by_organisation(
    session: Session, now: datetime | None = None
) -> list[OrganisationEvents]:
    """Every event with a release, grouped by the organisation that owns it (by name,
    alphabetically; events of no organisation last). In a group the upcoming and running
    events come first, soonest first, then the past ones, most recent first."""
    now = now or utcnow()
    published = exists().where(Release.event_id == Event.id)
    rows = session.execute(
        select(Event, EventOwner.organisation, Organisation.name)
        .outerjoin(EventOwner, EventOwner.event == Event.slug)
        .outerjoin(Organisation, Organisation.slug == EventOwner.organisation)
        .where(published)
    )
    groups: dict[str | None, tuple[str | None, list[ListedEvent]]] = {}
    for event, organisation, name in rows:
        today = now.astimezone(event_timezone(event)).date()
        listed = ListedEvent(
            event.slug, event.title, event.starts_on, event.ends_on, event.ends_on < today
        )
        # An owner missing from the organisations table still gets a heading: its slug.
        groups.setdefault(organisation, (name or organisation, []))[1].append(listed)
    result = []
    for organisation, (name, events) in groups.items():
        coming = sorted(
            (e for e in events if not e.past), key=lambda e: (e.starts_on, e.ends_on, e.slug)
        )
        past = sorted(
            (e for e in events if e.past),
            key=lambda e: (e.ends_on, e.starts_on, e.slug),
            reverse=True,
        )
        result.append(OrganisationEvents(organisation, name, coming + past))
    result.sort(
        key=lambda group: (
            group.organisation is None,
            _alphabetical(group.name or ""),
            group.name or "",
            group.organisation or "",
        )
    )
    return result
