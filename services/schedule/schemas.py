"""Request and response schemas of the schedule API (marshmallow, documented by flask-smorest)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.schedule.photos import speaker_photo_path
from shared.auth import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from shared.fields import AwareDateTime, Date, EmailField, Id, Text
from shared.i18n import N_
from shared.links import WebUrl
from shared.messages.schedule import (
    REGISTRATION_MODES,
    SESSION_SCHEDULED,
    SESSION_STATUSES,
    ChangeSchema,
    no_show_minutes,
)
from shared.organisations import SLUG
from shared.permissions import ROLES

_SLUG = validate.Regexp(
    r"^[a-z0-9][a-z0-9-]{0,62}$",
    error=N_("Use lower-case letters, digits and dashes (at most 63)."),
)
_GUID = validate.Regexp(
    r"^[A-Za-z0-9._:-]{1,64}$",
    error=N_("Use 1 to 64 letters, digits, dots, underscores, colons and dashes."),
)
_COLOR = validate.Regexp(r"^(#[0-9a-fA-F]{6})?$", error=N_("Give a colour like #1a2b3c."))
_MAX_CAPACITY = 100_000
MAX_BIOGRAPHY = 5_000


class EventSchema(Schema):
    slug = Text(required=True, validate=_SLUG)
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    timezone = Text(load_default="Europe/Berlin", validate=validate.Length(max=64))
    locale = Text(load_default="de", validate=validate.OneOf(("de", "en")))
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    address = Text(load_default="", validate=validate.Length(max=300))
    url = WebUrl()
    organisation = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(SLUG),
        metadata={
            "description": "the organisation that owns the event: a member's own; a platform "
            "administrator's choice, none if not given"
        },
    )


class NewEventSchema(EventSchema):
    """A new event: besides its details, how registration starts out for it (None: the
    registration service's default; organisers change them later on registration's pages)."""

    confirm_email = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={"description": "hold new seats until the attendee confirms the email address"},
    )
    release_no_shows_after_minutes = no_show_minutes(
        load_default=None,
        metadata={
            "description": "minutes after a session's start when the seats of tickets not "
            "checked in go to people at the door"
        },
    )
    venues = fields.List(
        Text(validate=validate.Length(min=1, max=200)),
        load_default=list,
        load_only=True,
        validate=validate.Length(max=50),
        metadata={"description": "names of the event's venues (stages), created with it"},
    )


class EventListItemSchema(EventSchema):
    latest_release = fields.Integer(allow_none=True)


class StageSchema(Schema):
    guid = Text(validate=_GUID, metadata={"description": "stable id; generated if missing"})
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    address = Text(load_default="", validate=validate.Length(max=300))
    capacity = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=_MAX_CAPACITY)
    )
    stream_url = WebUrl()


class TrackSchema(Schema):
    slug = Text(required=True, validate=_SLUG)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    color = Text(load_default="", validate=_COLOR)


class SpeakerSchema(Schema):
    id = fields.Integer(dump_only=True)
    guid = Text(validate=_GUID)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    organisation = Text(load_default="", validate=validate.Length(max=200))
    role = Text(load_default="", validate=validate.Length(max=200))
    biography = Text(
        load_default="",
        validate=validate.Length(max=MAX_BIOGRAPHY),
        metadata={"description": "shown on the public speaker page (German)"},
    )
    biography_en = Text(
        load_default="",
        validate=validate.Length(max=MAX_BIOGRAPHY),
        metadata={"description": "the same in English; empty: the German one"},
    )
    photo_url = fields.Method(
        "_photo_url",
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "the photo (JPEG, at most 600×600), set with PUT …/photo; null: none",
        },
    )

    def _photo_url(self, speaker) -> str | None:
        return speaker_photo_path(speaker)


class RegistrationSchema(Schema):
    mode = Text(required=True, validate=validate.OneOf(REGISTRATION_MODES))
    capacity = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=_MAX_CAPACITY),
        metadata={"description": "seats when required; null: the stage's capacity"},
    )
    external = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "URL or email address when the mode is external"},
    )


class DraftSessionSchema(Schema):
    """A session of the draft; stage by guid, tracks by slug, speakers by id."""

    id = fields.Integer(dump_only=True)
    guid = Text(validate=_GUID)
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    title_en = Text(load_default="", validate=validate.Length(max=300))
    abstract = Text(load_default="", validate=validate.Length(max=20_000))
    abstract_en = Text(load_default="", validate=validate.Length(max=20_000))
    type = Text(load_default="talk", validate=validate.Length(min=1, max=50))
    language = Text(load_default="de", validate=validate.Length(min=2, max=10))
    stage = Text(required=True, validate=validate.Length(min=1, max=64))
    tracks = fields.List(
        Text(validate=validate.Length(max=63)),
        load_default=list,
        validate=validate.Length(max=20),
    )
    speakers = fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=50))
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    streamed = fields.Boolean(load_default=False)
    livestream_url = WebUrl()
    registration = fields.Nested(RegistrationSchema, load_default=lambda: {"mode": "none"})
    status = Text(load_default=SESSION_SCHEDULED, validate=validate.OneOf(SESSION_STATUSES))
    assumption = Text(load_default="", validate=validate.Length(max=2000))


class PublishSchema(Schema):
    comment = Text(load_default="", validate=validate.Length(max=2000))


class ReleaseSummarySchema(Schema):
    number = fields.Integer()
    comment = Text()
    published_at = AwareDateTime()
    changes = fields.List(fields.Nested(ChangeSchema))


class LiveStatusSchema(Schema):
    status = Text(
        required=True,
        validate=validate.OneOf(("on_air", "ended", "scheduled")),
        metadata={"description": "scheduled clears an earlier mark"},
    )


class DelaySchema(Schema):
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=720))
    session = Id(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "first session to move; default: the one on air, else the next"},
    )
    at = AwareDateTime(load_default=None, allow_none=True)


class DelayResultSchema(Schema):
    release = fields.Nested(ReleaseSummarySchema)
    moved = fields.List(fields.Integer())


class LiveQuerySchema(Schema):
    at = AwareDateTime(
        load_default=None, metadata={"description": "ISO 8601 with offset; default: now"}
    )


class LiveSlotSchema(Schema):
    id = fields.Integer()
    guid = Text()
    title = Text()
    title_en = Text()
    type = Text()
    starts_at = Text()
    ends_at = Text()
    speakers = fields.List(Text())
    streamed = fields.Boolean()
    livestream_url = Text()
    live_status = Text(metadata={"description": "on_air | ended | scheduled"})


class LiveStageSchema(Schema):
    stage = fields.Dict()
    now = fields.Nested(LiveSlotSchema, allow_none=True)
    next = fields.Nested(LiveSlotSchema, allow_none=True)


class LiveSchema(Schema):
    event = Text()
    at = Text()
    release = fields.Integer()
    stages = fields.List(fields.Nested(LiveStageSchema))


# Partial variants for PATCH, as classes of their own so the OpenAPI document names them apart.
class EventChangeSchema(EventSchema):
    class Meta:
        exclude = ("slug", "organisation")


class StageChangeSchema(StageSchema):
    pass


class TrackChangeSchema(TrackSchema):
    pass


class SpeakerChangeSchema(SpeakerSchema):
    pass


class DraftSessionChangeSchema(DraftSessionSchema):
    pass


# A member's or token's name: one line of 1 to 100 characters, shown on pages and in mails.
_ACCOUNT_NAME = [
    validate.Length(min=1, max=100),
    validate.Regexp(
        r"^[^\x00-\x1f\x7f\u2028\u2029]+$", error=N_("One line, without control characters.")
    ),
]


class MembershipSchema(Schema):
    """A member's role in its organisation and the events it is limited to (none: all)."""

    role = Text(required=True, validate=validate.OneOf(ROLES))
    events = fields.List(Text(validate=validate.Regexp(SLUG)), load_default=list)


class TokenRequestSchema(MembershipSchema):
    """An API token an owner creates for the organisation."""

    name = Text(required=True, validate=_ACCOUNT_NAME)
    expires_in_days = fields.Integer(
        load_default=DEFAULT_TOKEN_DAYS, validate=validate.Range(min=1, max=MAX_TOKEN_DAYS)
    )


class MemberInvitationSchema(MembershipSchema):
    """A new member an owner invites: the link to set the password goes to `email`."""

    name = Text(required=True, validate=_ACCOUNT_NAME)
    email = EmailField(required=True, validate=validate.Length(max=320))
    locale = Text(load_default="de", validate=validate.OneOf(("de", "en")))


class AuditEntrySchema(Schema):
    """An entry of the event's audit log (`shared.audit`): who did what, when."""

    at = AwareDateTime(metadata={"description": "when, with offset (UTC)"})
    actor = Text(metadata={"description": "the token's or account's name; todo: the command line"})
    action = Text(metadata={"description": "e.g. programme.published, ticket.checked_in"})
    details = fields.Dict(
        metadata={"description": "ids, counts, changed fields (old, new); no personal data"}
    )


class AuditLogSchema(Schema):
    event = Text()
    entries = fields.List(fields.Nested(AuditEntrySchema), metadata={"description": "newest first"})
