"""Managing a booking with the secret link's token (the token is the capability)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.registration import manage
from services.registration.api.context import links, settings
from services.registration.schemas import BookingSchema, ErasedSchema, LocaleSchema
from shared.permissions import public
from shared.web import db_session

blp = Blueprint(
    "manage",
    __name__,
    url_prefix="/api/v1/manage",
    description="An attendee's booking, reached with the secret link from their email",
)


def _booking(attendee):
    return manage.booking(db_session(), attendee, links())


@blp.route("/<token>")
class Booking(MethodView):
    @public
    @blp.response(200, BookingSchema)
    def get(self, token: str):
        """The booking: tickets with status, waiting-list position and check-in code."""
        return _booking(manage.attendee_by_manage_token(db_session(), token))

    @public
    @blp.arguments(LocaleSchema)
    @blp.response(200, BookingSchema)
    def patch(self, args: dict, token: str):
        """Switch the language of mails and pages."""
        attendee = manage.attendee_by_manage_token(db_session(), token)
        manage.set_locale(db_session(), attendee, args["locale"], links())
        return _booking(attendee)

    @public
    @blp.response(200, ErasedSchema)
    def delete(self, token: str):
        """Erase the attendee (GDPR): places freed, personal data gone, numbers kept."""
        attendee = manage.attendee_by_manage_token(db_session(), token)
        manage.erase(db_session(), attendee, links(), settings())
        return {"erased": True}


@blp.route("/<token>/tickets/<int:ticket_id>/cancel")
class CancelTicket(MethodView):
    @public
    @blp.response(200, BookingSchema)
    def post(self, token: str, ticket_id: int):
        """Cancel one ticket; the seat goes at once to the first person waiting."""
        attendee = manage.attendee_by_manage_token(db_session(), token)
        manage.cancel_attendee_ticket(db_session(), attendee, ticket_id, links(), settings())
        return _booking(attendee)


@blp.route("/<token>/cancel")
class CancelAll(MethodView):
    @public
    @blp.response(200, BookingSchema)
    def post(self, token: str):
        """Cancel every ticket of the booking."""
        attendee = manage.attendee_by_manage_token(db_session(), token)
        manage.cancel_all(db_session(), attendee, links(), settings())
        return _booking(attendee)


@blp.route("/<token>/feed-token")
class FeedToken(MethodView):
    @public
    @blp.response(200, BookingSchema)
    def post(self, token: str):
        """Replace the personal calendar feed link; the old one stops working."""
        attendee = manage.attendee_by_manage_token(db_session(), token)
        manage.revoke_feed_token(db_session(), attendee, links())
        return _booking(attendee)


@blp.route("/<token>/data")
class PersonalData(MethodView):
    @public
    @blp.response(200)
    def get(self, token: str):
        """Everything stored about the attendee (GDPR access), as JSON."""
        attendee = manage.attendee_by_manage_token(db_session(), token)
        return manage.personal_data(db_session(), attendee, links())
