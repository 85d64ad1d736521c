"""The organisers' API of the notify service: the event's mail history and messages to
attendees (Authorization: Bearer TOKEN)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from services.notify import attendee_messages
from services.notify.api.context import mailer
from services.notify.mail_history import mail_history
from services.notify.models import ApiToken
from services.notify.schemas import (
    MailHistoryQuerySchema,
    MailHistorySchema,
    MessagePostResponseSchema,
    MessagePostSchema,
    MessageSchema,
)
from shared.audit import current_actor
from shared.auth import organiser_required
from shared.web import db_session

blp = Blueprint(
    "organiser",
    __name__,
    url_prefix="/api/v1/events/<event>",
    description="For organisers (Authorization: Bearer TOKEN)",
)
organiser = organiser_required(ApiToken)


@blp.route("/mails")
class Mails(MethodView):
    @organiser("attendees.read")
    @blp.arguments(MailHistoryQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, MailHistorySchema)
    def get(self, args: dict, event: str):
        """The event's mails, newest first: kind, recipient (null once erased), session,
        delivery state, attempts, and the mail server's answer. Filter by `attendee` (the
        registration service's id), `state`, or part of the address (`q`)."""
        return mail_history(db_session(), event, **args)


@blp.route("/messages")
class Messages(MethodView):
    @organiser("attendees.message")
    @blp.response(200, MessageSchema(many=True))
    def get(self, event: str):
        """The messages sent to attendees, newest first, with how many of their mails wait,
        were delivered and failed."""
        return attendee_messages.message_list(db_session(), event)

    @organiser("attendees.message")
    @blp.arguments(MessagePostSchema)
    @blp.response(200, MessagePostResponseSchema)
    @blp.alt_response(201, schema=MessagePostResponseSchema, description="sent")
    def post(self, args: dict, event: str):
        """Write to the ticket holders of the event or of one `session` (with
        `include_waiting` also the waiting list), in German and optionally English.
        `{"preview": true, ...}` answers how many get it in which language and a `draft`,
        sending nothing; `{"draft": "..."}` sends that draft, once however often it is posted
        (201 the first time, then 200 with `sent` false). Without either, the message is sent
        at once (201)."""
        session, actor = db_session(), current_actor()
        if args["preview"]:
            preview = attendee_messages.preview_message(session, mailer(), event, args, actor)
            return _answer(preview["message"], preview["recipients"], sent=False)
        if args["draft"]:
            message, sent = attendee_messages.send_message(session, mailer(), event, args["draft"])
        else:
            message, sent = attendee_messages.create_and_send(session, mailer(), event, args, actor)
        return _answer(message, None, sent=sent), 201 if sent else 200


def _answer(message, counts: dict | None, *, sent: bool) -> dict:
    values = attendee_messages.message_values(message)
    return {
        "draft": message.token,
        "sent": sent,
        "recipients": counts,
        "message": {**values, "mails": None},
    }
