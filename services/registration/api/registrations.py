"""Registration and availability: the public, unauthenticated API."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from services.registration.api.context import links, settings
from services.registration.booking import register
from services.registration.idempotency import request_fingerprint, store_response, stored_response
from services.registration.limits import REGISTRATION_LIMITS
from services.registration.reports import availability
from services.registration.schemas import (
    AvailabilitySchema,
    RegistrationRequestSchema,
    RegistrationResponseSchema,
)
from shared.web import db_session

blp = Blueprint(
    "registrations", __name__, url_prefix="/api/v1", description="Registering for sessions"
)
IDEMPOTENCY_HEADER = "Idempotency-Key"
RESPONSE_SCHEMA = RegistrationResponseSchema()
MAX_IDEMPOTENCY_KEY = 200


def _json_response(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="application/json")


@blp.route("/events/<event>/registrations")
class Registrations(MethodView):
    decorators = REGISTRATION_LIMITS

    @blp.arguments(RegistrationRequestSchema)
    @blp.response(201, RegistrationResponseSchema)
    @blp.alt_response(422, description="invalid input; the errors name the field or session")
    @blp.alt_response(429, description="too many registrations from this address or email")
    def post(self, args: dict, event: str):
        """Register one attendee for one or several sessions.

        Each ticket is `confirmed` while seats are free, else `waitlisted` (or `held` until the
        email address is confirmed, where the event asks for that). Registering again for a
        session gives the existing ticket back. A retry with the same `Idempotency-Key` header
        gets the first answer.
        """
        session = db_session()
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        scope = f"registrations:{event}"
        if key:
            if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
                abort(
                    422,
                    message="Ungültiger Idempotency-Key. / Invalid Idempotency-Key.",
                    errors={IDEMPOTENCY_HEADER: [f"1 bis {MAX_IDEMPOTENCY_KEY} Zeichen"]},
                )
            stored = stored_response(session, scope, key, request_fingerprint(event, args))
            if stored is not None:
                return _json_response(stored.body, stored.status_code)
        result = register(
            session,
            event,
            name=args["name"].strip(),
            email=args["email"],
            session_ids=args["sessions"],
            locale=args["locale"],
            links=links(),
            settings=settings(),
        )
        attendee = result.attendee
        body = RESPONSE_SCHEMA.dumps(
            {
                "attendee": attendee.id,
                "email": attendee.email,
                "manage_url": links().manage_url(event, attendee.manage_token)
                if result.attendee_created
                else None,
                "email_confirmation_required": any(
                    t.ticket.status == "held" for t in result.tickets
                ),
                "tickets": [
                    {
                        "session": t.ticket.session_id,
                        "status": t.ticket.status,
                        # A new place on the waiting list is not known before everyone
                        # registering at the same moment has committed: the booking page
                        # shows it live.
                        "waitlist_position": None if t.created else t.waitlist_position,
                        "hold_expires_at": t.ticket.hold_expires_at,
                        "new": t.created,
                    }
                    for t in result.tickets
                ],
            }
        )
        if key:
            store_response(session, scope, key, 201, body)
        return _json_response(body, 201)


@blp.route("/events/<event>/sessions/<int:session_id>/availability")
class SessionAvailability(MethodView):
    @blp.response(200, AvailabilitySchema)
    def get(self, event: str, session_id: int):
        """Seats of a session: capacity, confirmed, waitlisted, available."""
        return availability(db_session(), event, session_id)
