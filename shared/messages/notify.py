"""Messages published by the notify service."""

from marshmallow import Schema, fields, validate

from shared.messages import message_type


class MailOutcomeSchema(Schema):
    mail_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    event = fields.String(load_default=None, allow_none=True)
    cause_message_id = fields.String(load_default=None, allow_none=True)
    attempts = fields.Integer(required=True, validate=validate.Range(min=0))


@message_type("notify.mail.sent")
class MailSentSchema(MailOutcomeSchema):
    pass


@message_type("notify.mail.failed")
class MailFailedSchema(MailOutcomeSchema):
    error = fields.String(required=True)
