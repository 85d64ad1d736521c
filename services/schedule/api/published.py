"""Serving stored renderings with strong ETags, Last-Modified, 304s, caching and CORS, and what
the public may read of an event: only what a release published (drafts answer 404).

Clients that accept gzip get the compressed bytes (a 500-session schedule.xml shrinks about
tenfold); that representation has its own strong ETag, as RFC 9110 wants.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Response, current_app, request
from flask_smorest import abort

from services.schedule.reads import ExportStore
from shared.i18n import N_
from shared.web import conditional_response

NOTHING_PUBLISHED = N_("No published programme found.")

PUBLIC_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified",
}
CACHE_CONTROL = "public, max-age=30, must-revalidate"


def export_store() -> ExportStore:
    return current_app.extensions["schedule_exports"]


def _gzip_etag(etag: str) -> str:
    return etag[:-1] + '-gz"'


def stored_response(event: str, name: str, number: int | None = None) -> Response:
    store = export_store()
    export = store.find(event, name, number)
    if export is None:
        abort(404, message=NOTHING_PUBLISHED)
    gzipped = request.accept_encodings["gzip"] > 0
    return conditional_response(
        lambda: store.body(export, gzipped=gzipped),
        etag=_gzip_etag(export.etag) if gzipped else export.etag,
        last_modified=export.published_at,
        content_type=f"{export.media_type}; charset=utf-8",
        content_encoding="gzip" if gzipped else None,
        headers=PUBLIC_HEADERS | {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"},
    )


def published_data(event: str) -> dict[str, Any]:
    """The event's latest release (event, release, sessions); 404 while nothing is published."""
    store = export_store()
    export = store.find(event, "programme.json")
    if export is None:
        abort(404, message=NOTHING_PUBLISHED)
    return json.loads(store.body(export))


def published_event(event: str) -> dict[str, Any]:
    """The event as its latest release shows it (later draft edits are not public)."""
    info = dict(published_data(event)["event"])
    for name in ("starts_on", "ends_on"):
        info[name] = date.fromisoformat(info[name])
    return info


def published_tracks(event: str) -> list[dict[str, Any]]:
    """The tracks the latest release's sessions have, by slug."""
    tracks = {
        track["slug"]: track
        for info in published_data(event)["sessions"]
        for track in info["tracks"]
    }
    return [tracks[slug] for slug in sorted(tracks)]
