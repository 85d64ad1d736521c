"""Serving stored renderings with strong ETags, Last-Modified, 304s, caching and CORS."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest import abort
from werkzeug.http import http_date

from services.schedule.reads import ExportStore, StoredExport

PUBLIC_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified",
}
CACHE_CONTROL = "public, max-age=30, must-revalidate"


def export_store() -> ExportStore:
    return current_app.extensions["schedule_exports"]


def _not_modified(export: StoredExport) -> bool:
    if request.if_none_match:
        # Weak comparison is the rule for If-None-Match (RFC 9110, 13.1.2).
        return request.if_none_match.contains_weak(export.etag.strip('"'))
    if request.if_modified_since is not None:
        return export.published_at.replace(microsecond=0) <= request.if_modified_since
    return False


def stored_response(event: str, name: str, number: int | None = None) -> Response:
    store = export_store()
    export = store.find(event, name, number)
    if export is None:
        abort(
            404,
            message="Kein veröffentlichtes Programm gefunden. / No published programme found.",
        )
    headers = PUBLIC_HEADERS | {
        "ETag": export.etag,
        "Last-Modified": http_date(export.published_at),
        "Cache-Control": CACHE_CONTROL,
    }
    if _not_modified(export):
        return Response(status=304, headers=headers)
    mimetype = export.media_type
    return Response(store.body(export), headers=headers, content_type=f"{mimetype}; charset=utf-8")
