"""Organiser API for the livestream: on-air marks and delays."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.schedule import draft
from services.schedule.api.common import not_found, organiser
from services.schedule.api.programme import release_summary
from services.schedule.live import announce_delay, set_live_status
from services.schedule.schemas import DelayResultSchema, DelaySchema, LiveStatusSchema
from shared.i18n import N_
from shared.web import db_session

blp = Blueprint(
    "live_control",
    __name__,
    url_prefix="/api/v1/events",
    description="Run the livestream (organisers)",
)


@blp.route("/<event>/sessions/<int:session_id>/live")
class SessionLive(MethodView):
    @organiser("live.control")
    @blp.arguments(LiveStatusSchema)
    @blp.response(200, LiveStatusSchema)
    def put(self, body: dict, event: str, session_id: int):
        """Mark a session on air or ended ("scheduled" clears the mark)."""
        found = draft.find_event(db_session(), event)
        programme_session = draft.find_session(db_session(), found, session_id)
        if programme_session is None:
            not_found(N_("Session not found."))
        set_live_status(db_session(), found, programme_session, body["status"])
        return body


@blp.route("/<event>/stages/<guid>/delays")
class StageDelays(MethodView):
    @organiser("live.control")
    @blp.arguments(DelaySchema)
    @blp.response(201, DelayResultSchema)
    def post(self, body: dict, event: str, guid: str):
        """Announce "+N minutes" on a stage: moves the current (or given) session and the rest
        of that day on the stage, and publishes a new release right away."""
        found = draft.find_event(db_session(), event)
        stage = draft.find_stage(db_session(), found, guid)
        if stage is None:
            not_found(N_("Stage not found."))
        release, moved = announce_delay(
            db_session(), found, stage, body["minutes"], session_id=body["session"], at=body["at"]
        )
        return {
            "release": release_summary(release),
            "moved": [programme_session.id for programme_session in moved],
        }
