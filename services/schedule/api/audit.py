"""Organiser API for the event's audit log."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.schedule import draft
from services.schedule.api.common import organiser
from services.schedule.audit import audit_log
from services.schedule.schemas import AuditLogSchema
from shared.web import db_session

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/events",
    description="The event's audit log (organisers)",
)


@blp.route("/<event>/audit")
class AuditLog(MethodView):
    @organiser("audit.read")
    @blp.response(200, AuditLogSchema)
    def get(self, event: str):
        """Who published, changed times or capacity, ran the livestream, listed or exported
        attendees, checked tickets in and changed registration settings, and when: newest
        first, the schedule service's and registration's entries in one list."""
        found = draft.find_event(db_session(), event)
        return {"event": found.slug, "entries": audit_log(db_session(), found)}
