"""Registration and availability: the public, unauthenticated API."""

from __future__ import annotations

import json

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from services.registration.api.context import links, settings
from services.registration.booking import register
from services.registration.idempotency import request_fingerprint, store_response, stored_response
from services.registration.limits import rate_limited
from services.registration.manage import LINK_SENT_MESSAGE, request_manage_link
from services.registration.models.ticket import HELD
from services.registration.reports import availability
from services.registration.schemas import (
    AvailabilitySchema,
    ManageLinkRequestSchema,
    ManageLinkResponseSchema,
    RegistrationRequestSchema,
    RegistrationResponseSchema,
)
from shared.i18n import N_
from shared.pages import translate
from shared.permissions import public
from shared.web import db_session

blp = Blueprint(
    "registrations", __name__, url_prefix="/api/v1", description="Registering for sessions"
)
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200


@blp.route("/events/<event>/registrations")
class Registrations(MethodView):
    decorators = [rate_limited]

    @public
    @blp.arguments(RegistrationRequestSchema)
    @blp.response(201, RegistrationResponseSchema)
    @blp.alt_response(422, description="invalid input; the errors name the field or session")
    @blp.alt_response(429, description="too many registrations from this address or email")
    def post(self, args: dict, event: str):
        """Register one attendee for one or several sessions.

        Each ticket is `confirmed` while seats are free, else `waitlisted` (or `held` until the
        email address is confirmed, where the event asks for that). Registering again for a
        session gives the existing ticket back. A retry with the same `Idempotency-Key` header
        gets the first answer. The link to manage the booking, the personal calendar feed and
        the check-in codes go by mail to the address only (whoever registers may not own it).
        """
        session = db_session()
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        scope = f"registrations:{event}"
        if key:
            if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
                abort(
                    422,
                    message=N_("Invalid Idempotency-Key."),
                    errors={
                        IDEMPOTENCY_HEADER: [N_("1 to %(max)s characters", max=MAX_IDEMPOTENCY_KEY)]
                    },
                )
            stored = stored_response(session, scope, key, request_fingerprint(event, args))
            if stored is not None:
                # The same data through the same schema: the very bytes of the first answer.
                return json.loads(stored.body), stored.status_code
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
        answer = {
            "email": result.attendee.email,
            "email_confirmation_required": any(t.ticket.status == HELD for t in result.tickets),
            "tickets": [
                {"session": t.ticket.session_id, "status": t.ticket.status} for t in result.tickets
            ],
        }
        if key:
            store_response(
                session, scope, key, 201, json.dumps(answer), attendee_id=result.attendee.id
            )
        return answer


@blp.route("/events/<event>/manage-link")
class ManageLink(MethodView):
    decorators = [rate_limited]

    @public
    @blp.arguments(ManageLinkRequestSchema)
    @blp.response(202, ManageLinkResponseSchema)
    @blp.alt_response(429, description="too many requests from this address or for this email")
    def post(self, args: dict, event: str):
        """Mail the link to manage a booking to its address again.

        The answer is the same whether or not the address is registered for the event; the
        link goes to the address only.
        """
        request_manage_link(db_session(), event, args["email"], links())
        return {"message": translate(LINK_SENT_MESSAGE)}


@blp.route("/events/<event>/sessions/<int:session_id>/availability")
class SessionAvailability(MethodView):
    @public
    @blp.response(200, AvailabilitySchema)
    def get(self, event: str, session_id: int):
        """Seats of a session: capacity, confirmed, waitlisted, available."""
        return availability(db_session(), event, session_id)
