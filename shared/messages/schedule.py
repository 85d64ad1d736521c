"""Messages published by the schedule service."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.i18n import N_
from shared.links import WebUrl
from shared.messages import message_type
from shared.permissions import ROLES

REGISTRATION_MODES = ("required", "none", "external")
# A session of the programme is scheduled or cancelled (and then stays in it, marked).
SESSION_SCHEDULED = "scheduled"
SESSION_CANCELLED = "cancelled"
SESSION_STATUSES = (SESSION_SCHEDULED, SESSION_CANCELLED)
CHANGE_KINDS = ("new", "moved", "changed", "cancelled", "restored")
REVOCATION_REASONS = ("logout", "password_changed", "removed", "membership_changed")


# The longest a session's seats of absent ticket holders may wait before going to the door.
MAX_NO_SHOW_MINUTES = 240


def no_show_minutes(**kwargs) -> fields.Integer:
    """The minutes after a session's start when the seats of tickets not checked in go to
    people at the door: 0 to MAX_NO_SHOW_MINUTES, None for the registration service's default."""
    return fields.Integer(
        allow_none=True,
        validate=validate.Range(
            min=0,
            max=MAX_NO_SHOW_MINUTES,
            error=N_("Give 0 to %(max)s minutes.", max=MAX_NO_SHOW_MINUTES),
        ),
        **kwargs,
    )


class RegistrationDefaultsSchema(Schema):
    """How registration starts out for a new event (None: the registration service's default);
    afterwards its organisers change them there."""

    confirm_email = fields.Boolean(load_default=None, allow_none=True)
    release_no_shows_after_minutes = no_show_minutes(load_default=None)


class EventInfoSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    timezone = fields.String(required=True)
    locale = fields.String(load_default="de")
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    address = fields.String(load_default="")
    url = fields.String(load_default="")
    # Only where the event was created with some (older releases have none).
    registration_defaults = fields.Nested(RegistrationDefaultsSchema)


class StageInfoSchema(Schema):
    guid = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(load_default="")
    capacity = fields.Integer(load_default=None, allow_none=True)
    stream_url = fields.String(load_default="", allow_none=True)


class TrackInfoSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    color = fields.String(load_default="")


class SpeakerInfoSchema(Schema):
    guid = fields.String(load_default=None, allow_none=True)
    name = fields.String(required=True)
    organisation = fields.String(load_default="")
    role = fields.String(load_default="")
    # Only where a speaker has one (no default: releases from before biographies, and speakers
    # without one, publish no change).
    biography = fields.String()
    biography_en = fields.String()
    # Only where a speaker has one: the schedule service's path of the photo (a JPEG at most
    # 600×600), named by its content, so it never changes for this release.
    photo_url = fields.String()


class RegistrationInfoSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(REGISTRATION_MODES))
    capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    external = fields.String(load_default=None, allow_none=True)


class SessionInfoSchema(Schema):
    id = fields.Integer(required=True)
    guid = fields.String(required=True)
    title = fields.String(required=True)
    title_en = fields.String(load_default="", allow_none=True)
    abstract = fields.String(load_default="", allow_none=True)
    abstract_en = fields.String(load_default="", allow_none=True)
    type = fields.String(load_default="talk")
    language = fields.String(load_default="de")
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    stage = fields.Nested(StageInfoSchema, required=True)
    tracks = fields.List(fields.Nested(TrackInfoSchema), load_default=list)
    speakers = fields.List(fields.Nested(SpeakerInfoSchema), load_default=list)
    streamed = fields.Boolean(load_default=False)
    livestream_url = fields.String(load_default="", allow_none=True)
    registration = fields.Nested(RegistrationInfoSchema, required=True)
    status = fields.String(required=True, validate=validate.OneOf(SESSION_STATUSES))
    url = fields.String(load_default="")


class ChangeSchema(Schema):
    session = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CHANGE_KINDS))
    fields_changed = fields.List(fields.String(), load_default=list)


class ReleaseInfoSchema(Schema):
    number = fields.Integer(required=True, validate=validate.Range(min=1))
    comment = fields.String(load_default="", allow_none=True)
    published_at = fields.AwareDateTime(required=True)


@message_type("schedule.release.published")
class ReleasePublishedSchema(Schema):
    """A new release: the whole programme of the event and the changes against the last one."""

    event = fields.Nested(EventInfoSchema, required=True)
    release = fields.Nested(ReleaseInfoSchema, required=True)
    sessions = fields.List(fields.Nested(SessionInfoSchema), required=True)
    changes = fields.List(fields.Nested(ChangeSchema), load_default=list)


@message_type("schedule.live.updated")
class LiveUpdatedSchema(Schema):
    """A session went on air or ended, or a stage announced a delay."""

    event = fields.String(required=True)
    stage = fields.String(required=True)
    session = fields.Integer(load_default=None, allow_none=True)
    status = fields.String(
        required=True, validate=validate.OneOf(("on_air", "ended", "delayed", "scheduled"))
    )
    delay_minutes = fields.Integer(load_default=0)


@message_type("schedule.organiser.sessions_revoked")
class OrganiserSessionsRevokedSchema(Schema):
    """Organiser sessions that every service must refuse from now on: one session (logout) or
    all of the account's sessions that began before `issued_before` (new password, removed)."""

    account = fields.String(required=True, validate=validate.Length(min=1, max=100))
    session_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=64)
    )
    issued_before = fields.AwareDateTime(load_default=None, allow_none=True)
    revoked_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(REVOCATION_REASONS))

    @validates_schema
    def _names_what_ends(self, data, **_kwargs):
        if data.get("session_id") is None and data.get("issued_before") is None:
            raise ValidationError("give session_id or issued_before", "session_id")


@message_type("schedule.event.owner_changed")
class EventOwnerChangedSchema(Schema):
    """The organisation that owns an event, from now on (None: none; platform administrators
    only). Its members may act on the event as their role allows."""

    event = fields.String(required=True, validate=validate.Length(min=1, max=63))
    organisation = fields.String(
        required=True, allow_none=True, validate=validate.Length(min=1, max=63)
    )
    changed_at = fields.AwareDateTime(required=True)


class MembershipFields(Schema):
    organisation = fields.String(
        required=True, allow_none=True, validate=validate.Length(min=1, max=63)
    )
    role = fields.String(required=True, allow_none=True, validate=validate.OneOf(ROLES))
    events = fields.List(fields.String(validate=validate.Length(min=1, max=63)), load_default=list)


@message_type("schedule.token.issued")
class TokenIssuedSchema(MembershipFields):
    """An organiser API token created in the browser: every service stores its hash (never the
    token) with its membership and lifetime."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    token_hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)


@message_type("schedule.token.revoked")
class TokenRevokedSchema(Schema):
    """An organiser API token that every service must refuse from now on."""

    token_hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    revoked_at = fields.AwareDateTime(required=True)


@message_type("schedule.organiser.password_link")
class OrganiserPasswordLinkSchema(Schema):
    """A one-time link for an organiser account to set its password, to be mailed to it: a new
    member invited by an owner (`invited`), or a member whose owner sent a new link."""

    account = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.String(required=True, validate=validate.Length(min=3, max=320))
    locale = fields.String(load_default="de", validate=validate.OneOf(("de", "en")))
    organisation = fields.String(required=True, validate=validate.Length(min=1, max=63))
    organisation_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    invited_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    invited = fields.Boolean(required=True)
    # The link carries the secret: notify keeps it only until the mail is sent.
    set_password_url = WebUrl(validate=validate.Length(min=1, max=500))
    expires_at = fields.AwareDateTime(required=True)
