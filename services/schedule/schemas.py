"""Request and response schemas of the schedule API (marshmallow, documented by flask-smorest)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.messages.schedule import REGISTRATION_MODES, SESSION_STATUSES, ChangeSchema

_SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$", error="lower-case letters, digits and '-'")
_GUID = validate.Regexp(
    r"^[A-Za-z0-9._:-]{1,64}$", error="1-64 letters, digits, '.', '_', ':', '-'"
)
_COLOR = validate.Regexp(r"^(#[0-9a-fA-F]{6})?$", error="a colour like #1a2b3c")
_MAX_CAPACITY = 100_000


class EventSchema(Schema):
    slug = fields.String(required=True, validate=_SLUG)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    timezone = fields.String(load_default="Europe/Berlin", validate=validate.Length(max=64))
    locale = fields.String(load_default="de", validate=validate.OneOf(("de", "en")))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    address = fields.String(load_default="", validate=validate.Length(max=300))
    url = fields.String(load_default="", validate=validate.Length(max=500))


class EventListItemSchema(EventSchema):
    latest_release = fields.Integer(allow_none=True)


class StageSchema(Schema):
    guid = fields.String(
        validate=_GUID, metadata={"description": "stable id; generated if missing"}
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(load_default="", validate=validate.Length(max=300))
    capacity = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=_MAX_CAPACITY)
    )
    stream_url = fields.String(load_default="", validate=validate.Length(max=500))


class TrackSchema(Schema):
    slug = fields.String(required=True, validate=_SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    color = fields.String(load_default="", validate=_COLOR)


class SpeakerSchema(Schema):
    id = fields.Integer(dump_only=True)
    guid = fields.String(validate=_GUID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organisation = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(load_default="", validate=validate.Length(max=200))


class RegistrationSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(REGISTRATION_MODES))
    capacity = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=_MAX_CAPACITY),
        metadata={"description": "seats when required; null: the stage's capacity"},
    )
    external = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "URL or email address when the mode is external"},
    )


class DraftSessionSchema(Schema):
    """A session of the draft; stage by guid, tracks by slug, speakers by id."""

    id = fields.Integer(dump_only=True)
    guid = fields.String(validate=_GUID)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.String(load_default="", validate=validate.Length(max=300))
    abstract = fields.String(load_default="", validate=validate.Length(max=20_000))
    abstract_en = fields.String(load_default="", validate=validate.Length(max=20_000))
    type = fields.String(load_default="talk", validate=validate.Length(min=1, max=50))
    language = fields.String(load_default="de", validate=validate.Length(min=2, max=10))
    stage = fields.String(required=True, validate=validate.Length(min=1, max=64))
    tracks = fields.List(
        fields.String(validate=validate.Length(max=63)),
        load_default=list,
        validate=validate.Length(max=20),
    )
    speakers = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=50))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    streamed = fields.Boolean(load_default=False)
    livestream_url = fields.String(load_default="", validate=validate.Length(max=500))
    registration = fields.Nested(RegistrationSchema, load_default=lambda: {"mode": "none"})
    status = fields.String(load_default="scheduled", validate=validate.OneOf(SESSION_STATUSES))
    assumption = fields.String(load_default="", validate=validate.Length(max=2000))


class PublishSchema(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class ReleaseSummarySchema(Schema):
    number = fields.Integer()
    comment = fields.String()
    published_at = fields.AwareDateTime()
    changes = fields.List(fields.Nested(ChangeSchema))


class LiveStatusSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(("on_air", "ended", "scheduled")),
        metadata={"description": "scheduled clears an earlier mark"},
    )


class DelaySchema(Schema):
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=720))
    session = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "first session to move; default: the one on air, else the next"},
    )
    at = fields.AwareDateTime(load_default=None, allow_none=True)


class DelayResultSchema(Schema):
    release = fields.Nested(ReleaseSummarySchema)
    moved = fields.List(fields.Integer())


class LiveQuerySchema(Schema):
    at = fields.AwareDateTime(
        load_default=None, metadata={"description": "ISO 8601 with offset; default: now"}
    )


class LiveSlotSchema(Schema):
    id = fields.Integer()
    guid = fields.String()
    title = fields.String()
    title_en = fields.String()
    type = fields.String()
    starts_at = fields.String()
    ends_at = fields.String()
    speakers = fields.List(fields.String())
    streamed = fields.Boolean()
    livestream_url = fields.String()
    live_status = fields.String(metadata={"description": "on_air | ended | scheduled"})


class LiveStageSchema(Schema):
    stage = fields.Dict()
    now = fields.Nested(LiveSlotSchema, allow_none=True)
    next = fields.Nested(LiveSlotSchema, allow_none=True)


class LiveSchema(Schema):
    event = fields.String()
    at = fields.String()
    release = fields.Integer()
    stages = fields.List(fields.Nested(LiveStageSchema))


# Partial variants for PATCH, as classes of their own so the OpenAPI document names them apart.
class EventChangeSchema(EventSchema):
    class Meta:
        exclude = ("slug",)


class StageChangeSchema(StageSchema):
    pass


class TrackChangeSchema(TrackSchema):
    pass


class SpeakerChangeSchema(SpeakerSchema):
    pass


class DraftSessionChangeSchema(DraftSessionSchema):
    pass
