"""Cheap public reads of stored release renderings.

Each request costs one small indexed query for the latest release's ETag (so a new release is
seen at once by every process); the bytes themselves are cached per process by release, since a
release never changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from services.schedule.models import Event, Release, ReleaseExport
from shared.db import Database

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
    def __init__(self, db: Database, cached_bodies: int = 64):
        self.db = db
        self.cached_bodies = cached_bodies
        self._bodies: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, slug: str, name: str, number: int | None = None) -> StoredExport | None:
        """The export `name` of the event's latest release (or of release `number`)."""
        query, params = (_LATEST, {}) if number is None else (_NUMBERED, {"number": number})
        with self.db.engine.connect() as connection:
            row = connection.execute(query, {"slug": slug, "name": name, **params}).first()
        if row is None:
            return None
        return StoredExport(row.id, name, row.number, row.published_at, row.etag, row.media_type)

    def body(self, export: StoredExport) -> bytes:
        key = (export.release_id, export.name)
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                return body
        with self.db.engine.connect() as connection:
            body = connection.execute(
                _BODY, {"release_id": export.release_id, "name": export.name}
            ).scalar_one()
        with self._lock:
            self._bodies[key] = body
            while len(self._bodies) > self.cached_bodies:
                self._bodies.popitem(last=False)
        return body
