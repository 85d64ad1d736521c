"""The organisers' attendee admin (issue 13): search, one attendee's record, cancel a ticket on
their behalf, promote from the waiting list by hand, resend mails, walk-ins at the door."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from services.registration import attendee_admin
from services.registration.api.context import links, settings
from services.registration.limits import limit_checkins
from services.registration.models import ApiToken
from services.registration.schemas import (
    AdminAttendeeSchema,
    AdminTicketSchema,
    AttendeeSearchQuerySchema,
    AttendeeSearchSchema,
    PromoteRequestSchema,
    ResendRequestSchema,
    ResendResponseSchema,
    WalkInRequestSchema,
    WalkInResponseSchema,
)
from shared.auth import organiser_required
from shared.web import db_session

blp = Blueprint(
    "attendees",
    __name__,
    url_prefix="/api/v1/events/<event>",
    description="Attendee admin for organisers (Authorization: Bearer TOKEN)",
)
organiser = organiser_required(ApiToken)


@blp.route("/attendees")
class Attendees(MethodView):
    @organiser("attendees.read")
    @blp.arguments(AttendeeSearchQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, AttendeeSearchSchema)
    def get(self, args: dict, event: str):
        """Attendees whose name (or a ticket's), email or ticket code contains `q`, newest
        first, with their tickets, a page at a time."""
        found = attendee_admin.search_attendees(
            db_session(), event, args["q"], args["page"], args["page_size"]
        )
        return {
            "items": found.items,
            "page": args["page"],
            "page_size": args["page_size"],
            "total": found.total,
        }


@blp.route("/attendees/<int:attendee_id>")
class AttendeeRecord(MethodView):
    @organiser("attendees.read")
    @blp.response(200, AdminAttendeeSchema)
    @blp.alt_response(404, description="not an attendee of this event, or erased")
    def get(self, event: str, attendee_id: int):
        """One attendee with all their tickets: status, place on the waiting list, code,
        check-in (when, by whom), cancellation."""
        return attendee_admin.attendee_record(db_session(), event, attendee_id)


@blp.route("/tickets/<int:ticket_id>/cancel")
class CancelTicket(MethodView):
    @organiser("attendees.manage")
    @blp.response(200, AdminTicketSchema)
    @blp.alt_response(404, description="no such ticket of this event")
    @blp.alt_response(409, description="already cancelled")
    def post(self, event: str, ticket_id: int):
        """Cancel a ticket on the holder's behalf: the seat goes to the first person waiting
        (before the session starts), the holder gets the cancellation mail."""
        return attendee_admin.cancel_on_behalf(db_session(), event, ticket_id, links(), settings())


@blp.route("/tickets/<int:ticket_id>/promote")
class PromoteTicket(MethodView):
    @organiser("attendees.manage")
    @blp.arguments(PromoteRequestSchema)
    @blp.response(200, AdminTicketSchema)
    @blp.alt_response(404, description="no such ticket of this event")
    @blp.alt_response(
        409,
        description="not waiting, session over or cancelled, or full (`over_capacity` needed)",
    )
    def post(self, args: dict, event: str, ticket_id: int):
        """Give a waiting ticket a seat now: a free one, or with `over_capacity` one seat
        beyond the capacity. The holder gets the mail of a promotion."""
        return attendee_admin.promote_by_hand(
            db_session(), event, ticket_id, links(), settings(), args["over_capacity"]
        )


@blp.route("/attendees/<int:attendee_id>/resend")
class ResendMail(MethodView):
    @organiser("attendees.manage")
    @blp.arguments(ResendRequestSchema)
    @blp.response(200, ResendResponseSchema)
    @blp.alt_response(404, description="not an attendee of this event, or erased")
    @blp.alt_response(409, description="nothing booked to confirm")
    def post(self, args: dict, event: str, attendee_id: int):
        """Mail the attendee again: each booked ticket's confirmation (or hold or waiting-list
        mail), or the link to manage the booking."""
        return attendee_admin.resend(
            db_session(), event, attendee_id, args["what"], links(), settings()
        )


@blp.route("/walk-ins")
class WalkIns(MethodView):
    @organiser("checkin")
    @blp.arguments(WalkInRequestSchema)
    @blp.response(200, WalkInResponseSchema)
    @blp.alt_response(404, description="no such session")
    @blp.alt_response(409, description="no seat free, or already checked in")
    @blp.alt_response(422, description="session not today, over, cancelled or without seats")
    @blp.alt_response(429, description="too many check-ins by this token just now")
    def post(self, args: dict, event: str):
        """Someone at the door without a ticket: registered for the session (confirmed at once,
        counted against its seats, never put on the waiting list) and checked in. Someone who
        has a ticket for it already: that ticket is seated if it waits and checked in."""
        limit_checkins()
        result = attendee_admin.walk_in(
            db_session(),
            event,
            args["session"],
            args["name"].strip(),
            args["email"],
            args["locale"],
            None,
            links(),
            settings(),
        )
        return attendee_admin.walk_in_answer(result)
