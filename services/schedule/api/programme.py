"""Public reads of the published programme, its releases and the live schedule; publishing."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import RAISE

from services.schedule.api.common import organiser
from services.schedule.api.published import (
    NOTHING_PUBLISHED,
    PUBLIC_HEADERS,
    published_event,
    stored_response,
)
from services.schedule.draft import find_event
from services.schedule.live import live_overview
from services.schedule.models import Release
from services.schedule.releases import (
    events_with_latest_release,
    list_releases,
    publish_release,
)
from services.schedule.schemas import (
    EventListItemSchema,
    LiveQuerySchema,
    LiveSchema,
    PublishSchema,
    ReleaseSummarySchema,
)
from shared.i18n import N_
from shared.messages.schedule import ReleasePublishedSchema
from shared.permissions import public
from shared.web import db_session

blp = Blueprint(
    "programme",
    __name__,
    url_prefix="/api/v1/events",
    description="The published programme",
)


def release_summary(release: Release) -> dict:
    return {
        "number": release.number,
        "comment": release.comment,
        "published_at": release.published_at,
        "changes": release.changes,
    }


@blp.route("")
class Events(MethodView):
    @public
    @blp.response(200, EventListItemSchema(many=True))
    def get(self):
        """Published events (editions) as their latest release shows them, with its number."""
        items = [
            published_event(event.slug) | {"latest_release": number}
            for event, number in events_with_latest_release(db_session())
            if number is not None
        ]
        return items, 200, PUBLIC_HEADERS


@blp.route("/<event>/programme")
class Programme(MethodView):
    @public
    @blp.response(200, ReleasePublishedSchema)
    def get(self, event: str):
        """The latest release: event, release, every session (cancelled ones marked), changes."""
        return stored_response(event, "programme.json")


@blp.route("/<event>/releases")
class Releases(MethodView):
    @public
    @blp.response(200, ReleaseSummarySchema(many=True))
    def get(self, event: str):
        """All releases, newest first, with their changelogs (404 while there are none)."""
        releases = list_releases(db_session(), find_event(db_session(), event))
        if not releases:
            abort(404, message=NOTHING_PUBLISHED)
        return [release_summary(release) for release in releases], 200, PUBLIC_HEADERS

    @organiser("programme.publish")
    @blp.arguments(PublishSchema)
    @blp.response(201, ReleaseSummarySchema)
    def post(self, body: dict, event: str):
        """Publish the draft as the next release (409 if nothing changed since the last)."""
        release = publish_release(db_session(), find_event(db_session(), event), body["comment"])
        return release_summary(release)


@blp.route("/<event>/releases/<int:number>")
class ReleaseByNumber(MethodView):
    @public
    @blp.response(200, ReleasePublishedSchema)
    def get(self, event: str, number: int):
        """One release as it was published, with its changelog."""
        return stored_response(event, "programme.json", number)


@blp.route("/<event>/live")
class Live(MethodView):
    @public
    @blp.arguments(LiveQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, LiveSchema)
    def get(self, query: dict, event: str):
        """Per stage: the session on air now (or at `at`) and the next one, with stream links."""
        overview = live_overview(db_session(), find_event(db_session(), event), query["at"])
        if overview is None:
            abort(404, message=N_("Nothing published yet."))
        return overview, 200, PUBLIC_HEADERS | {"Cache-Control": "no-cache"}
