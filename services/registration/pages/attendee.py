"""The registration form (`/{event}/register?sessions=1,2`, linked from the programme) and its
confirmation page. One POST is one call of `booking.register`, as the JSON API makes it."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import ValidationError
from sqlalchemy import select

from services.registration.booking import REGISTRABLE_MODE, register
from services.registration.limits import rate_limited
from services.registration.models import Event, ProgrammeSession, Ticket
from services.registration.models.ticket import HELD
from services.registration.pages import pages
from services.registration.pages.common import (
    form_field,
    links,
    load_event,
    local_times,
    settings,
)
from services.registration.pages.manage import session_ics_url
from services.registration.publishing import waitlist_position
from services.registration.reports import availability
from services.registration.schemas import MAX_SESSIONS, RegistrationRequestSchema
from shared.db import utcnow
from shared.errors import DomainError
from shared.fields import parse_id
from shared.i18n import Message
from shared.messages.schedule import SESSION_SCHEDULED
from shared.pages import LOCALES, current_language, render_message_page, service_url, translate
from shared.permissions import public
from shared.web import db_session, field_errors

# Bots fill every field; people never see this one (hidden from eyes and screen readers).
HONEYPOT = "website"
# The error summary lists problems in the order of the form.
FORM_ORDER = ("sessions", "name", "email", "locale", "consent")
# How long the page after registering can be opened again (reloaded, language switched).
RECEIPT_SECONDS = 3600


def chosen_session_ids(raw: list[str]) -> list[int]:
    """`?sessions=1,2` (or repeated `sessions=`) as ids in their order, nonsense left out."""
    ids = []
    for value in raw:
        for part in value.split(","):
            session_id = parse_id(part)
            if session_id is not None and session_id not in ids:
                ids.append(session_id)
    return ids[:MAX_SESSIONS]


def _open_sessions(event: Event, now: datetime) -> list[ProgrammeSession]:
    return list(
        db_session().scalars(
            select(ProgrammeSession)
            .where(
                ProgrammeSession.event_id == event.id,
                ProgrammeSession.registration_mode == REGISTRABLE_MODE,
                ProgrammeSession.status == SESSION_SCHEDULED,
                ProgrammeSession.capacity.is_not(None),
                ProgrammeSession.starts_at > now,
            )
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def offered_sessions(event: Event, chosen: list[int]) -> list[ProgrammeSession]:
    """The sessions the form lists: the chosen ones, or every open one if none was chosen."""
    if not chosen:
        return _open_sessions(event, utcnow())
    return list(
        db_session().scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id, ProgrammeSession.id.in_(chosen))
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def session_choice(programme_session: ProgrammeSession, checked: bool, problems: list[str]):
    starts, ends = local_times(programme_session)
    seats = availability(db_session(), programme_session.event.slug, programme_session.id)
    return {
        "id": programme_session.id,
        "title": programme_session.display_title(current_language()),
        "stage": programme_session.stage,
        "starts": starts,
        "ends": ends,
        "cancelled": programme_session.is_cancelled,
        "available": seats.available,
        "capacity": seats.capacity,
        "checked": checked,
        "problems": problems,
    }


def _form_page(event: Event, chosen: list[int], checked: set[int], values, errors, status=200):
    offered = offered_sessions(event, chosen)
    listed = {s.id for s in offered}
    missing = [session_id for session_id in chosen if session_id not in listed]
    choices = [
        session_choice(s, s.id in checked, errors.get(f"session-{s.id}", [])) for s in offered
    ]
    labels = {
        "name": _("Name"),
        "email": _("Email address"),
        "locale": _("Language for emails"),
        "consent": _("Consent"),
        "sessions": _("Sessions"),
        **{f"session-{choice['id']}": choice["title"] for choice in choices},
    }
    config = settings()
    return render_template(
        "pages/register.html",
        event=event,
        sessions=choices,
        missing=missing,
        chosen=chosen,
        values=values,
        errors=errors,
        labels=labels,
        consent_version=config.consent_version,
        purge_after_days=config.purge_after_days,
        honeypot=HONEYPOT,
        nav_current="register",
    ), status


@pages.get("/<event>/register")
@public
def register_form(event: str):
    found = load_event(event)
    chosen = chosen_session_ids(request.args.getlist("sessions"))
    return _form_page(found, chosen, set(chosen), {"locale": current_language()}, {})


def _required_field_errors(values: dict, checked: list[int]) -> dict[str, list[str]]:
    errors = {}
    if not values["name"].strip():
        errors["name"] = [_("Please enter your name.")]
    if not values["email"].strip():
        errors["email"] = [_("Please enter your email address.")]
    if not values["consent"]:
        errors["consent"] = [_("Please agree, otherwise we cannot register you.")]
    if not checked:
        errors["sessions"] = [_("Please choose at least one session.")]
    return errors


def _schema_errors(messages: dict) -> dict[str, list[str]]:
    """Schema messages in the page's language; marshmallow's own (English only) get ours."""
    general = {
        "name": _("Please enter a name of at most 200 characters."),
        "email": _("Please enter a valid email address."),
        "locale": _("Please choose German or English."),
        "sessions": _("Please choose at least one session."),
    }
    errors = {}
    for field, problems in messages.items():
        listed = problems if isinstance(problems, list) else [problems]
        ours = [p for p in listed if isinstance(p, Message)]
        errors[field] = (
            [translate(p) for p in ours]
            if ours
            else [general.get(field, _("Please check this field."))]
        )
    return errors


def _received_page(event: Event):
    """What a bot that filled the honeypot sees: a neutral "check your email", nothing stored."""
    return render_template(
        "pages/registered.html", event=event, result=None, nav_current="register"
    )


@pages.post("/<event>/register")
@public
@rate_limited
def register_submit(event: str):
    found = load_event(event)
    chosen = chosen_session_ids(request.args.getlist("sessions"))
    form = request.form
    values = {
        "name": form.get("name", ""),
        "email": form.get("email", ""),
        "locale": form.get("locale", current_language()),
        "consent": form.get("consent") == "yes",
    }
    checked = chosen_session_ids(form.getlist("sessions"))
    if form.get(HONEYPOT):
        return _received_page(found)
    # Every field is checked at once, so one round trip shows every problem.
    errors = _required_field_errors(values, checked)
    try:
        args = RegistrationRequestSchema().load(
            {
                "name": values["name"],
                "email": values["email"],
                "sessions": checked,
                "locale": values["locale"],
                "consent": True,
            }
        )
    except ValidationError as exc:
        errors = _schema_errors(exc.messages) | errors
    if not errors:
        try:
            result = register(
                db_session(),
                found.slug,
                name=args["name"].strip(),
                email=args["email"],
                session_ids=args["sessions"],
                locale=args["locale"],
                links=links(),
                settings=settings(),
            )
        except DomainError as exc:
            errors = field_errors(exc.errors, form_field) or {"sessions": [translate(exc.message)]}
    if errors:
        errors = dict(
            sorted(
                errors.items(),
                key=lambda item: FORM_ORDER.index(item[0]) if item[0] in FORM_ORDER else -1,
            )
        )
        # 422 also rolls the request's transaction back.
        return _form_page(found, chosen or checked, set(checked), values, errors, 422)
    receipt = receipt_serializer().dumps(
        {
            "tickets": [
                [
                    t.ticket.id,
                    t.ticket.session_id,
                    t.ticket.status,
                    t.ticket.requested_at.isoformat(),
                ]
                for t in result.tickets
            ],
            "email": masked_email(result.attendee.email),
        }
    )
    # POST/redirect/GET: reloading the page does not register again.
    return redirect(
        url_for(".registration_receipt", event=found.slug, receipt=receipt, **_lang_args()), 303
    )


def receipt_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="registration-receipt")


def masked_email(address: str) -> str:
    """`an***@example.org`: enough to spot a typo, too little to learn someone's address."""
    local, _at, domain = address.rpartition("@")
    return f"{local[:2]}***@{domain}"


def _lang_args() -> dict:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in LOCALES else {}


@pages.get("/<event>/registered/<receipt>")
@public
def registration_receipt(event: str, receipt: str):
    """What one registration booked, for an hour. The receipt is signed, not secret: it names
    tickets and statuses as they were booked, never codes, links or who registered, so it
    shows nothing of a booking made before by the owner of the address."""
    found = load_event(event)
    try:
        data = receipt_serializer().loads(receipt, max_age=RECEIPT_SECONDS)
    except BadSignature:
        return render_message_page(
            404,
            _("Page expired"),
            _(
                "This confirmation page is no longer shown. Your tickets and the link to "
                "manage your registration are in the email we sent."
            ),
        )
    tickets = []
    for ticket_id, session_id, status, requested_at in data["tickets"]:
        programme_session = db_session().get(ProgrammeSession, session_id)
        if programme_session is None or programme_session.event_id != found.id:
            continue
        tickets.append(
            {
                **session_choice(programme_session, True, []),
                "ics_url": session_ics_url(found.slug, programme_session.id),
                "status": status,
                "waitlist_position": _waiting_since(ticket_id, requested_at),
            }
        )
    tickets.sort(key=lambda t: (t["starts"], t["id"]))
    return render_template(
        "pages/registered.html",
        event=found,
        result=True,
        tickets=tickets,
        email=data["email"],
        confirm_email=any(t["status"] == HELD for t in tickets),
        hold_minutes=settings().hold_minutes,
        # The whole programme only: the personal feed would tell whoever registered what the
        # owner of the address booked (see `booking.RegistrationResult`); it comes by mail.
        programme_feed_url=service_url("notify", f"/{found.slug}/calendar.ics"),
        nav_current="register",
    )


def _waiting_since(ticket_id: int, requested_at: str) -> int | None:
    """The live place on the waiting list of a ticket this registration put there; None once
    it is seated, cancelled or booked again by someone later (same row, new request time)."""
    ticket = db_session().get(Ticket, ticket_id)
    if ticket is None or ticket.requested_at.isoformat() != requested_at:
        return None
    return waitlist_position(db_session(), ticket)
