"""The organisers' API: counts, attendee and waiting lists, check-in, CSV export."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from services.registration import reports
from services.registration.api.context import links
from services.registration.audit import change_settings
from services.registration.booking import find_event
from services.registration.checkin import check_in, checkin_answer
from services.registration.limits import limit_checkins
from services.registration.models import ApiToken
from services.registration.schemas import (
    CheckInRequestSchema,
    CheckInResponseSchema,
    EventSettingsSchema,
    ExportQuerySchema,
    SessionCountsSchema,
    TicketListQuerySchema,
    TicketListSchema,
)
from shared.auth import organiser_required
from shared.pages import current_language
from shared.web import db_session

blp = Blueprint(
    "organiser",
    __name__,
    url_prefix="/api/v1/events/<event>",
    description="For organisers (Authorization: Bearer TOKEN)",
)
organiser = organiser_required(ApiToken)


@blp.route("/checkins")
class CheckIns(MethodView):
    @organiser("checkin")
    @blp.arguments(CheckInRequestSchema)
    @blp.response(200, CheckInResponseSchema)
    @blp.alt_response(404, description="unknown ticket code")
    @blp.alt_response(409, description="already checked in")
    @blp.alt_response(429, description="too many check-ins by this token just now")
    @blp.alt_response(
        422,
        description="mistyped code, ticket of another session or day, without seat, or "
        "released (no-show)",
    )
    def post(self, args: dict, event: str):
        """Check a ticket in by its code (optionally at the door of one session): the answer
        names the ticket's holder and session, and the session's running count. A code with a
        typing error is refused (422) before any lookup; a second check-in (409) says when and
        by whom the first was. Attempts per token are limited (429)."""
        limit_checkins()
        result = check_in(db_session(), event, args["code"], links(), session_id=args["session"])
        return checkin_answer(result)


@blp.route("/counts")
class Counts(MethodView):
    @organiser("statistics.read")
    @blp.response(200, SessionCountsSchema(many=True))
    def get(self, event: str):
        """Per session: capacity, confirmed, held, waiting, cancelled, checked in."""
        return reports.session_counts(db_session(), event)


@blp.route("/sessions/<int:session_id>/tickets")
class SessionTickets(MethodView):
    @organiser("attendees.read")
    @blp.arguments(TicketListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, TicketListSchema)
    def get(self, args: dict, event: str, session_id: int):
        """A session's attendees (`status=confirmed`), waiting list (`status=waitlisted`, in
        order) or check-ins (`checked_in=true`), a page at a time."""
        items, total = reports.session_tickets(db_session(), event, session_id, **args)
        return {
            "items": items,
            "page": args["page"],
            "page_size": args["page_size"],
            "total": total,
        }


@blp.route("/attendees.csv")
class AttendeesCsv(MethodView):
    @organiser("attendees.read")
    @blp.arguments(ExportQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, content_type="text/csv")
    def get(self, args: dict, event: str):
        """Attendees and waiting lists for German Excel: UTF-8 with BOM, `;`, CRLF."""
        body = reports.attendees_csv(
            db_session(), event, args["session"], language=current_language()
        )
        return Response(
            body.encode("utf-8"),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{event}-attendees.csv"',
                "Content-Type": "text/csv; charset=utf-8",
            },
        )


@blp.route("/settings")
class EventSettings(MethodView):
    @organiser("registration.settings")
    @blp.response(200, EventSettingsSchema)
    def get(self, event: str):
        """The event's registration settings."""
        return find_event(db_session(), event)

    @organiser("registration.settings")
    @blp.arguments(EventSettingsSchema)
    @blp.response(200, EventSettingsSchema)
    def put(self, args: dict, event: str):
        """Choose whether new seats wait for the attendee's email confirmation and when seats
        of people not checked in go to people at the door."""
        return change_settings(db_session(), find_event(db_session(), event), args)
