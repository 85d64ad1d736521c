"""Organiser pages of the notify service (signed in on the schedule service): the event's mail
history with delivery state and the mail server's answer, and messages to attendees (write,
preview, send once)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from marshmallow import EXCLUDE, ValidationError

from services.notify import attendee_messages
from services.notify.api.context import mailer
from services.notify.mail_history import (
    MAIL_KIND_NAMES,
    MAIL_STATE_NAMES,
    find_event,
    mail_history,
)
from services.notify.models import Event
from services.notify.models.mail import MAIL_STATES
from services.notify.pages import pages
from services.notify.schemas import (
    MESSAGE_TEXT_LENGTH,
    SUBJECT_LENGTH,
    MailHistoryQuerySchema,
    MessageRequestSchema,
)
from shared.audit import current_actor
from shared.errors import DomainError
from shared.pages import current_language, translate
from shared.pages.organisers import organiser_login_required
from shared.web import db_session, field_errors

HISTORY_PAGE_SIZE = 50
# The message form's fields, in the order of the form (the error summary follows it).
MESSAGE_FIELDS = {
    "session": lazy_gettext("To whom"),
    "include_waiting": lazy_gettext("Waiting list"),
    "subject_de": lazy_gettext("Subject (German)"),
    "text_de": lazy_gettext("Text (German)"),
    "subject_en": lazy_gettext("Subject (English)"),
    "text_en": lazy_gettext("Text (English)"),
    "draft": lazy_gettext("Message"),
}
HISTORY_FIELDS = {
    "attendee": lazy_gettext("Attendee"),
    "state": lazy_gettext("State"),
    "q": lazy_gettext("Email address"),
    "page": lazy_gettext("Page"),
}


def _field(path: tuple[str, ...]) -> str:
    return path[0]


def _load_event(slug: str) -> Event:
    return find_event(db_session(), slug)


@pages.get("/<event>/organiser/mails")
@organiser_login_required("attendees.read")
def organiser_mails(event: str):
    found = _load_event(event)
    raw = {key: value for key, value in request.args.items() if key in HISTORY_FIELDS and value}
    errors: dict = {}
    status = 200
    try:
        query = MailHistoryQuerySchema(unknown=EXCLUDE).load(raw)
    except ValidationError as exc:
        errors = field_errors(exc.messages, _field)
        query, status = None, 422
    history = (
        mail_history(db_session(), event, **{**query, "page_size": HISTORY_PAGE_SIZE})
        if query is not None
        else {"items": [], "total": 0, "page": 1, "page_size": HISTORY_PAGE_SIZE}
    )
    return render_template(
        "pages/organiser/mails.html",
        event=found,
        history=history,
        values=raw,
        query=query or {},
        errors=errors,
        labels=HISTORY_FIELDS,
        states=[(state, translate(MAIL_STATE_NAMES[state])) for state in MAIL_STATES],
        state_names={state: translate(name) for state, name in MAIL_STATE_NAMES.items()},
        kind_names={kind: translate(name) for kind, name in MAIL_KIND_NAMES.items()},
        pages_total=max(1, -(-history["total"] // HISTORY_PAGE_SIZE)),
        tz=ZoneInfo(found.timezone),
        nav_current="organiser",
    ), status


def _messages_page(found: Event, status: int = 200, **context):
    tz = ZoneInfo(found.timezone)
    language = current_language()
    return render_template(
        "pages/organiser/messages.html",
        event=found,
        session_options=[
            (
                str(s.id),
                f"{s.starts_at.astimezone(tz):%d.%m. %H:%M} {s.title_for(language)}",
            )
            for s in attendee_messages.message_sessions(db_session(), found)
        ],
        sent=attendee_messages.message_list(db_session(), found.slug),
        labels=MESSAGE_FIELDS,
        subject_length=SUBJECT_LENGTH,
        text_length=MESSAGE_TEXT_LENGTH,
        tz=tz,
        nav_current="organiser",
        **{"values": {}, "errors": {}, "preview": None, **context},
    ), status


@pages.get("/<event>/organiser/messages")
@organiser_login_required("attendees.message")
def organiser_messages(event: str):
    return _messages_page(_load_event(event))


@pages.post("/<event>/organiser/messages")
@organiser_login_required("attendees.message")
def organiser_message_preview(event: str):
    found = _load_event(event)
    form = request.form
    values = {
        "session": form.get("session", ""),
        "include_waiting": form.get("include_waiting") == "yes",
        **{name: form.get(name, "") for name in ("subject_de", "text_de", "subject_en", "text_en")},
    }
    try:
        args = MessageRequestSchema().load({**values, "session": values["session"] or None})
        preview = attendee_messages.preview_message(
            db_session(), mailer(), found.slug, args, current_actor()
        )
    except ValidationError as exc:
        return _messages_page(found, 422, values=values, errors=_ordered(exc.messages))
    except DomainError as exc:
        errors = _ordered(exc.errors) or {"session": [translate(exc.message)]}
        return _messages_page(found, 422, values=values, errors=errors)
    return _messages_page(found, values=values, preview=preview)


def _ordered(messages) -> dict:
    errors = field_errors(messages, _field)
    order = list(MESSAGE_FIELDS)
    return dict(
        sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else -1)
    )


@pages.post("/<event>/organiser/messages/send")
@organiser_login_required("attendees.message")
def organiser_message_send(event: str):
    found = _load_event(event)
    token = request.form.get("draft", "")
    message, sent = attendee_messages.send_message(db_session(), mailer(), found.slug, token)
    if sent:
        flash(
            ngettext(
                "The message is on its way to %(num)d person.",
                "The message is on its way to %(num)d people.",
                message.recipient_count,
            ),
            "success",
        )
    else:
        flash(_("This message was sent already; it was not sent again."), "success")
    return redirect(url_for(".organiser_messages", event=found.slug), 303)
