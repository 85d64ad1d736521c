"""Messages published by the registration service.

Each carries everything notify needs to write to the attendee, so notify never calls back.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.messages import message_type

# A ticket's status, as the messages carry it and registration's and notify's tables keep it.
TICKET_CONFIRMED = "confirmed"
TICKET_WAITLISTED = "waitlisted"
TICKET_HELD = "held"
TICKET_CANCELLED = "cancelled"
TICKET_STATUSES = (TICKET_CONFIRMED, TICKET_WAITLISTED, TICKET_HELD, TICKET_CANCELLED)
CANCEL_REASONS = ("attendee", "session_cancelled", "hold_expired", "no_show", "organiser")


class AttendeeInfoSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    locale = fields.String(required=True, validate=validate.OneOf(("de", "en")))
    manage_url = fields.String(required=True)
    feed_token = fields.String(required=True)


class TicketInfoSchema(Schema):
    id = fields.Integer(required=True)
    # The name given in the registration that booked the ticket: mails about it greet with
    # this, not with the attendee's name (someone else may have registered the address first).
    # Absent in messages from before it existed.
    name = fields.String(load_default=None, allow_none=True)
    code = fields.String(required=True)
    session = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(TICKET_STATUSES))
    waitlist_position = fields.Integer(load_default=None, allow_none=True)
    confirm_url = fields.String(load_default=None, allow_none=True)
    hold_expires_at = fields.AwareDateTime(load_default=None, allow_none=True)


class BookingSchema(Schema):
    """The registration (one request, several sessions) a ticket message belongs to: its
    messages are published in order, `index` 0 to `size` - 1, and `tickets` lists the ids of
    all of them, so that notify can send one mail for the whole booking with the last."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    index = fields.Integer(required=True, validate=validate.Range(min=0, max=999))
    tickets = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))


class TicketMessageSchema(Schema):
    event = fields.String(required=True)
    attendee = fields.Nested(AttendeeInfoSchema, required=True)
    ticket = fields.Nested(TicketInfoSchema, required=True)
    # Only in the messages of a registration; absent in older messages and in those of single
    # actions (promotion, cancellation, confirmation of the address, an organiser's resend).
    booking = fields.Nested(BookingSchema, load_default=None, allow_none=True)


@message_type("registration.ticket.confirmed")
class TicketConfirmedSchema(TicketMessageSchema):
    pass


@message_type("registration.ticket.held")
class TicketHeldSchema(TicketMessageSchema):
    """A seat is held until the attendee confirms their email address."""


@message_type("registration.ticket.waitlisted")
class TicketWaitlistedSchema(TicketMessageSchema):
    pass


@message_type("registration.ticket.promoted")
class TicketPromotedSchema(TicketMessageSchema):
    pass


@message_type("registration.ticket.cancelled")
class TicketCancelledSchema(TicketMessageSchema):
    reason = fields.String(required=True, validate=validate.OneOf(CANCEL_REASONS))
    # For reason `no_show`: the seat went to the door this many minutes after the start.
    released_after_minutes = fields.Integer(load_default=None, allow_none=True)


@message_type("registration.ticket.checked_in")
class TicketCheckedInSchema(TicketMessageSchema):
    checked_in_at = fields.AwareDateTime(required=True)


@message_type("registration.attendee.updated")
class AttendeeUpdatedSchema(Schema):
    """The attendee changed their language or their feed token was revoked."""

    event = fields.String(required=True)
    attendee = fields.Nested(AttendeeInfoSchema, required=True)


@message_type("registration.attendee.link_requested")
class AttendeeLinkRequestedSchema(Schema):
    """Someone asked for the manage link of this address, or registered it again without
    booking anything new: the link goes by mail to the address, and only there."""

    event = fields.String(required=True)
    attendee = fields.Nested(AttendeeInfoSchema, required=True)
    # An organiser resent it: mailed even if a link went to the address just before (anyone
    # else's requests are mailed at most once per interval).
    by_organiser = fields.Boolean(load_default=False)


@message_type("registration.attendee.erased", version=2)
class AttendeeErasedSchema(Schema):
    """Personal data is gone; copies of it must go too. Ids only: the message outlives the
    erasure in queues and outboxes (version 1 carried name, email and locale; they are
    dropped on receipt)."""

    class Meta:
        unknown = EXCLUDE

    event = fields.String(required=True)
    attendee_id = fields.Integer(required=True)


@message_type("registration.event.purged")
class EventPurgedSchema(Schema):
    """The personal data of a finished event's attendees is gone; copies of it must go too."""

    event = fields.String(required=True)
    attendee_ids = fields.List(fields.Integer(), required=True)


@message_type("registration.audit.recorded")
class AuditRecordedSchema(Schema):
    """An entry of registration's audit log (`shared.audit`), for the one log the schedule
    service shows: who did what to the event, when; ids, counts and field names, no personal
    data."""

    event = fields.String(required=True, validate=validate.Length(min=1, max=63))
    at = fields.AwareDateTime(required=True)
    actor = fields.String(required=True, validate=validate.Length(min=1, max=100))
    action = fields.String(required=True, validate=validate.Length(min=1, max=40))
    details = fields.Dict(keys=fields.String(), required=True)
