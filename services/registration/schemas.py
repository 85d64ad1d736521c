"""Request and response bodies of the registration API (marshmallow, flask-smorest)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from shared.fields import EmailField, Id, Text
from shared.i18n import N_
from shared.messages.registration import TICKET_STATUSES
from shared.messages.schedule import no_show_minutes

LOCALE = validate.OneOf(("de", "en"))
# Enough for every real name and a whole day's programme; more is abuse.
MAX_NAME_LENGTH = 200
MAX_SESSIONS = 20
# Some text besides spaces; no control characters, NUL or lone surrogates.
NAME_PATTERN = r"^[^\x00-\x1f\ud800-\udfff]*[^\s\x00-\x1f\ud800-\udfff][^\x00-\x1f\ud800-\udfff]*$"


class RegistrationRequestSchema(Schema):
    name = Text(
        required=True,
        validate=validate.Length(min=1, max=MAX_NAME_LENGTH),
        # What `_name_has_text` checks, for the OpenAPI document.
        metadata={"pattern": NAME_PATTERN},
    )
    email = EmailField(required=True, validate=validate.Length(max=320))
    sessions = fields.List(
        Id(strict=True),
        required=True,
        validate=validate.Length(min=1, max=MAX_SESSIONS),
    )
    locale = fields.String(load_default="de", validate=LOCALE)
    consent = fields.Boolean(required=True, metadata={"enum": [True]})

    @validates("name")
    def _name_has_text(self, value: str, **_kwargs) -> None:
        if not value.strip() or any(ord(c) < 32 for c in value):
            raise ValidationError(N_("Give a name without control characters."))

    @validates("consent")
    def _consent_given(self, value: bool, **_kwargs) -> None:
        if value is not True:
            raise ValidationError(N_("Registration needs your consent."))


class RegisteredTicketSchema(Schema):
    session = fields.Integer()
    status = fields.String(
        metadata={"description": "confirmed, waitlisted, or held until the address is confirmed"}
    )


class RegistrationResponseSchema(Schema):
    """What whoever registered may see. They may not own the address, so the manage link, the
    personal feed and the check-in codes go by mail to the address only."""

    email = fields.String(metadata={"description": "the address the mail with the tickets goes to"})
    email_confirmation_required = fields.Boolean()
    tickets = fields.List(fields.Nested(RegisteredTicketSchema))


class ManageLinkRequestSchema(Schema):
    email = EmailField(required=True, validate=validate.Length(max=320))


class ManageLinkResponseSchema(Schema):
    message = fields.String()


class AvailabilitySchema(Schema):
    capacity = fields.Integer(allow_none=True)
    confirmed = fields.Integer()
    waitlisted = fields.Integer()
    available = fields.Integer()


class BookingTicketSchema(Schema):
    id = fields.Integer()
    session = fields.Integer()
    name = fields.String(metadata={"description": "the name given when it was booked"})
    title = fields.String()
    title_en = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    stage = fields.String()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    code = fields.String()
    hold_expires_at = fields.AwareDateTime(allow_none=True)
    checked_in_at = fields.AwareDateTime(allow_none=True)


class BookingSchema(Schema):
    event = fields.String()
    name = fields.String()
    email = fields.String()
    locale = fields.String()
    manage_url = fields.String()
    feed_url = fields.String()
    tickets = fields.List(fields.Nested(BookingTicketSchema))


class LocaleSchema(Schema):
    locale = fields.String(required=True, validate=LOCALE)


class ErasedSchema(Schema):
    erased = fields.Boolean()


class CheckInRequestSchema(Schema):
    code = Text(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "as printed or scanned: any case, spaces and dashes ignored "
            "(older codes of 16 characters: exactly as issued)"
        },
    )
    session = Id(load_default=None, allow_none=True, strict=True)


class DoorCountSchema(Schema):
    checked_in = fields.Integer(metadata={"description": "seated tickets checked in"})
    confirmed = fields.Integer(
        metadata={"description": "seated tickets (confirmed, or held for the email confirmation)"}
    )


class CheckInResponseSchema(Schema):
    ticket = fields.Integer()
    code = fields.String(metadata={"description": "the ticket's code as printed"})
    name = fields.String(metadata={"description": "the name on the ticket"})
    session = fields.Integer()
    title = fields.String()
    title_en = fields.String()
    checked_in_at = fields.AwareDateTime()
    checked_in_by = fields.String(metadata={"description": "the organiser's token or account"})
    count = fields.Nested(
        DoorCountSchema, metadata={"description": "the running count at the session's door"}
    )


class SessionCountsSchema(Schema):
    session = fields.Integer()
    title = fields.String()
    starts_at = fields.AwareDateTime()
    status = fields.String()
    registration_mode = fields.String()
    capacity = fields.Integer(allow_none=True)
    confirmed = fields.Integer()
    held = fields.Integer()
    waitlisted = fields.Integer()
    cancelled = fields.Integer()
    checked_in = fields.Integer()


class TicketListQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(TICKET_STATUSES))
    checked_in = fields.Boolean(load_default=None)
    page = Id(load_default=1)
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class TicketListItemSchema(Schema):
    ticket = fields.Integer()
    attendee = fields.Integer()
    name = fields.String()
    email = fields.String()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    requested_at = fields.AwareDateTime()
    checked_in_at = fields.AwareDateTime(allow_none=True)


class TicketListSchema(Schema):
    items = fields.List(fields.Nested(TicketListItemSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class ExportQuerySchema(Schema):
    session = Id(load_default=None)


class EventSettingsSchema(Schema):
    confirm_email = fields.Boolean(
        required=True,
        allow_none=True,
        metadata={"description": "hold seats until the email is confirmed; null: service default"},
    )
    release_no_shows_after_minutes = no_show_minutes(
        strict=True,
        metadata={
            "description": "minutes after a session's start when seats of tickets not checked "
            "in go to people at the door, not to the waiting list; null: service default; "
            "left out: unchanged"
        },
    )


# -- attendee admin (issue 13) ---------------------------------------------------------------------

MAX_QUERY_LENGTH = 200


class AttendeeSearchQuerySchema(Schema):
    q = Text(
        load_default="",
        validate=validate.Length(max=MAX_QUERY_LENGTH),
        metadata={
            "description": "part of a name (the attendee's or a ticket's), of the email address "
            "or of a ticket code (any case, dashes optional); empty: everyone, newest first"
        },
    )
    page = Id(load_default=1)
    page_size = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class AdminTicketSchema(Schema):
    id = fields.Integer()
    attendee = fields.Integer()
    session = fields.Integer()
    title = fields.String()
    title_en = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    name = fields.String(metadata={"description": "the name given when it was booked"})
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    session_full = fields.Boolean(
        metadata={"description": "waiting tickets of the record: no seat is free"}
    )
    code = fields.String(metadata={"description": "as printed"})
    requested_at = fields.AwareDateTime()
    hold_expires_at = fields.AwareDateTime(allow_none=True)
    checked_in_at = fields.AwareDateTime(allow_none=True)
    checked_in_by = fields.String(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class AdminAttendeeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    locale = fields.String()
    registered_at = fields.AwareDateTime()
    email_confirmed_at = fields.AwareDateTime(allow_none=True)
    tickets = fields.List(fields.Nested(AdminTicketSchema))


class AttendeeSearchSchema(Schema):
    items = fields.List(fields.Nested(AdminAttendeeSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class PromoteRequestSchema(Schema):
    over_capacity = fields.Boolean(
        load_default=False,
        metadata={"description": "if no seat is free, add one beyond the capacity"},
    )


class ResendRequestSchema(Schema):
    what = fields.String(
        required=True,
        validate=validate.OneOf(("confirmation", "manage_link")),
        metadata={
            "description": "confirmation: each booked ticket's confirmation, hold or "
            "waiting-list mail again; manage_link: the link to manage the booking"
        },
    )


class ResendResponseSchema(Schema):
    what = fields.String()
    tickets = fields.List(fields.Integer(), metadata={"description": "whose mail goes again"})


class WalkInRequestSchema(RegistrationRequestSchema):
    """Someone at the door: name, email and language as in a registration, one session."""

    class Meta:
        exclude = ("sessions", "consent")

    session = Id(required=True, strict=True)


class WalkInResponseSchema(CheckInResponseSchema):
    attendee = fields.Integer()
    new_ticket = fields.Boolean(
        metadata={"description": "false: the person's own ticket for the session was used"}
    )


# -- statistics (issue 13) -------------------------------------------------------------------------


class StatisticsBucketSchema(Schema):
    starts_at = fields.AwareDateTime(metadata={"description": "local time of the event"})
    ends_at = fields.AwareDateTime()
    count = fields.Integer(metadata={"description": "in this hour or day"})
    total = fields.Integer(metadata={"description": "running total at the bucket's end"})


class StatisticsSeriesSchema(Schema):
    bucket = fields.String(metadata={"enum": ["hour", "day"]})
    registrations = fields.List(
        fields.Nested(StatisticsBucketSchema),
        metadata={"description": "tickets by the time they were requested (buckets with some)"},
    )
    cancellations = fields.List(fields.Nested(StatisticsBucketSchema))


class CheckInBucketSchema(Schema):
    starts_at = fields.AwareDateTime(metadata={"description": "a quarter hour, local time"})
    count = fields.Integer()


class StatisticsFiguresSchema(Schema):
    registrations = fields.Integer(metadata={"description": "seated + waitlisted + cancelled"})
    confirmed = fields.Integer()
    held = fields.Integer(metadata={"description": "seated until the email is confirmed"})
    seated = fields.Integer()
    waitlisted = fields.Integer()
    cancelled = fields.Integer()
    cancellations = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "by reason"}
    )
    checked_in = fields.Integer()
    no_shows = fields.Integer(
        allow_none=True, metadata={"description": "null until a session has ended"}
    )
    no_show_rate = fields.Float(allow_none=True)


class SessionStatisticsSchema(Schema):
    session = fields.Integer()
    title = fields.String()
    title_en = fields.String()
    stage = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.String()
    registration_mode = fields.String()
    capacity = fields.Integer(allow_none=True)
    ended = fields.Boolean()
    figures = fields.Nested(StatisticsFiguresSchema)
    fill_rate = fields.Float(allow_none=True, metadata={"description": "seated / capacity"})
    filled_at = fields.AwareDateTime(
        allow_none=True,
        metadata={
            "description": "the request with which seated + waiting first reached the capacity"
        },
    )
    over_time = fields.Nested(StatisticsSeriesSchema)
    checkins = fields.List(
        fields.Nested(CheckInBucketSchema), metadata={"description": "per 15 minutes"}
    )


class SessionSummaryStatisticsSchema(SessionStatisticsSchema):
    """A session in the event's statistics: without its series (see its own statistics)."""

    class Meta:
        exclude = ("over_time", "checkins")


class EventStatisticsSchema(Schema):
    event = fields.String()
    title = fields.String()
    timezone = fields.String()
    at = fields.AwareDateTime(metadata={"description": "when the figures were counted"})
    figures = fields.Nested(StatisticsFiguresSchema)
    over_time = fields.Nested(StatisticsSeriesSchema)
    checkins = fields.List(
        fields.Nested(CheckInBucketSchema), metadata={"description": "per 15 minutes"}
    )
    sessions = fields.List(fields.Nested(SessionSummaryStatisticsSchema))
