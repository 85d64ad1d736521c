"""Request and response bodies of the notify API (marshmallow, flask-smorest), also loaded by the
organiser pages' forms: the mail history and the organisers' messages to attendees."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.notify.models.mail import MAIL_STATES
from shared.fields import Id, Text, parse_id
from shared.i18n import N_

SUBJECT_LENGTH = 150
# At most this many sessions in one calendar of chosen sessions (someone's favourites).
MAX_CHOSEN_SESSIONS = 200
MESSAGE_TEXT_LENGTH = 10_000
HISTORY_PAGE_SIZE = 50
MAX_HISTORY_PAGE_SIZE = 200
# What a search for an address may be: as long as an address.
SEARCH_LENGTH = 320
# A subject is one header line: no line breaks or other control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


class MessageText(Text):
    """A message's text: line breaks as "\\n" (a form sends "\\r\\n"), counted as one character."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.replace("\r\n", "\n").replace("\r", "\n").strip()


class Subject(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        subject = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(subject):
            raise ValidationError(N_("The subject must be one line, without line breaks."))
        return subject.strip()


class MessageRequestSchema(Schema):
    """A message to attendees, from the form and the API alike."""

    session = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "to the ticket holders of this session; none: the whole event"},
    )
    include_waiting = fields.Boolean(
        load_default=False,
        metadata={"description": "also to people on the waiting list (seat holders always)"},
    )
    subject_de = Subject(
        load_default="",
        validate=validate.Length(max=SUBJECT_LENGTH),
        metadata={"description": "required"},
    )
    text_de = MessageText(
        load_default="",
        validate=validate.Length(max=MESSAGE_TEXT_LENGTH),
        metadata={"description": "required"},
    )
    subject_en = Subject(load_default="", validate=validate.Length(max=SUBJECT_LENGTH))
    text_en = MessageText(
        load_default="",
        validate=validate.Length(max=MESSAGE_TEXT_LENGTH),
        metadata={"description": "empty: English readers get the German message"},
    )

    @validates_schema(skip_on_field_errors=False)
    def _complete(self, data: dict, **_kwargs) -> None:
        if data.get("draft"):
            return
        errors: dict[str, list] = {}
        if "subject_de" in data and not data["subject_de"]:
            errors["subject_de"] = [N_("Please write a subject.")]
        if "text_de" in data and not data["text_de"]:
            errors["text_de"] = [N_("Please write a text.")]
        if data.get("text_en") and "subject_en" in data and not data["subject_en"]:
            errors["subject_en"] = [N_("The English text needs an English subject.")]
        if data.get("subject_en") and "text_en" in data and not data["text_en"]:
            errors["text_en"] = [N_("The English subject needs an English text.")]
        if errors:
            raise ValidationError(errors)


class MessagePostSchema(MessageRequestSchema):
    """The API's POST: `preview` answers the recipient counts and a draft without sending;
    `draft` (from a preview) sends that draft, once however often it is posted (the other
    fields are then ignored); neither sends the message in the body at once."""

    preview = fields.Boolean(load_default=False)
    draft = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"),
        metadata={"description": "the draft of a preview: send exactly that"},
    )

    @validates_schema
    def _not_both(self, data: dict, **_kwargs) -> None:
        if data.get("preview") and data.get("draft"):
            raise ValidationError(N_("Preview or send a draft, not both."), "preview")


class RecipientCountsSchema(Schema):
    de = fields.Integer(metadata={"description": "get the German message"})
    en = fields.Integer(metadata={"description": "get the English message"})
    total = fields.Integer()


class MailStateCountsSchema(Schema):
    queued = fields.Integer(metadata={"description": "waiting or being sent (also retries)"})
    delivered = fields.Integer()
    failed = fields.Integer()


class MessageSchema(Schema):
    id = fields.Integer()
    session = fields.Integer(allow_none=True)
    session_title = fields.String(allow_none=True)
    include_waiting = fields.Boolean()
    subject_de = fields.String()
    subject_en = fields.String()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    recipient_count = fields.Integer(allow_none=True)
    mails = fields.Nested(MailStateCountsSchema, allow_none=True)


class MessagePostResponseSchema(Schema):
    draft = fields.String(metadata={"description": 'send it with {"draft": ...}'})
    sent = fields.Boolean()
    recipients = fields.Nested(
        RecipientCountsSchema, allow_none=True, metadata={"description": "of a preview"}
    )
    message = fields.Nested(MessageSchema)


class MailHistoryQuerySchema(Schema):
    attendee = Id(load_default=None)
    state = fields.String(load_default=None, validate=validate.OneOf(MAIL_STATES))
    q = Text(
        load_default="",
        validate=validate.Length(max=SEARCH_LENGTH),
        metadata={"description": "part of the address (any case)"},
    )
    page = Id(load_default=1)
    page_size = fields.Integer(
        load_default=HISTORY_PAGE_SIZE,
        validate=validate.Range(min=1, max=MAX_HISTORY_PAGE_SIZE),
    )


class HistorySessionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    title_en = fields.String()


class MailHistoryItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    queued_at = fields.AwareDateTime()
    attendee = fields.Integer(allow_none=True)
    recipient = fields.String(allow_none=True, metadata={"description": "null once erased"})
    erased = fields.Boolean()
    session = fields.Nested(HistorySessionSchema, allow_none=True)
    state = fields.String(metadata={"enum": list(MAIL_STATES)})
    attempts = fields.Integer()
    sent_at = fields.AwareDateTime(allow_none=True)
    smtp_reply = fields.String(
        allow_none=True, metadata={"description": "the server's answer to a delivered mail"}
    )
    last_error = fields.String(allow_none=True, metadata={"description": "why it failed (last)"})


class MailHistorySchema(Schema):
    items = fields.List(fields.Nested(MailHistoryItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class IdList(fields.String):
    """Ids separated by commas (`?ids=3,1,2`), as a URL carries a list: each an `Id`, duplicates
    dropped, at most `MAX_CHOSEN_SESSIONS`."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = [
            part.strip() for part in super()._deserialize(value, attr, data, **kwargs).split(",")
        ]
        ids = [parse_id(part) for part in parts if part]
        if not ids or None in ids:
            raise ValidationError(N_("Give session ids separated by commas, e.g. 3,1,2."))
        ids = list(dict.fromkeys(ids))
        if len(ids) > MAX_CHOSEN_SESSIONS:
            raise ValidationError(
                N_("At most %(most)s sessions in one calendar.", most=MAX_CHOSEN_SESSIONS)
            )
        return ids


class CalendarLanguageSchema(Schema):
    """`?lang=` of a calendar rendered on request (default: the event's language)."""

    lang = fields.String(validate=validate.OneOf(("de", "en")), load_default=None)


class ChosenSessionsQuerySchema(CalendarLanguageSchema):
    ids = IdList(required=True)
