"""The organisers' attendee admin (issue 13): search, one attendee's record with the buttons to
cancel a ticket for them, promote them from the waiting list, resend their confirmation or manage
link, and walk-ins on the check-in page. Each form is loaded through the API's schema and calls
the one domain function the API calls; the POSTs of the record answer 303 with a flashed message
(POST/redirect/GET)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from services.registration import attendee_admin
from services.registration.limits import limit_checkins
from services.registration.models import ProgrammeSession
from services.registration.pages import pages
from services.registration.pages.common import links, load_event, settings
from services.registration.pages.organiser import _check_in_page
from services.registration.schemas import (
    AttendeeSearchQuerySchema,
    PromoteRequestSchema,
    ResendRequestSchema,
    WalkInRequestSchema,
)
from shared.errors import DomainError
from shared.fields import parse_id
from shared.i18n import Message
from shared.pages import current_language, service_url, translate
from shared.pages.organisers import organiser_login_required
from shared.web import db_session, field_errors

PAGE_SIZE = 50


def _form_errors(messages: dict, general: dict[str, str]) -> dict[str, list[str]]:
    """A schema's messages by field in the page's language; marshmallow's own (English only)
    give way to the field's message in `general`."""
    errors = {}
    for name, problems in field_errors(messages).items():
        raw = messages.get(name, problems)
        listed = raw if isinstance(raw, list) else [raw]
        ours = [translate(p) for p in listed if isinstance(p, Message)]
        errors[name] = ours or [general.get(name, _("Please check this field."))]
    return errors


def _may_manage() -> bool:
    return g.principal.may("attendees.manage")


# -- search and record ---------------------------------------------------------------------------


@pages.get("/<event>/organiser/attendees")
@organiser_login_required("attendees.read")
def organiser_attendees(event: str):
    found = load_event(event)
    query = request.args.get("q", "")
    page = parse_id(request.args.get("page")) or 1
    errors, result, status = {}, None, 200
    try:
        args = AttendeeSearchQuerySchema().load({"q": query, "page": page, "page_size": PAGE_SIZE})
    except ValidationError as error:
        general = {"q": _("Please search for at most 200 characters.")}
        errors, status = _form_errors(error.messages, general), 422
    else:
        result = attendee_admin.search_attendees(
            db_session(), event, args["q"], args["page"], args["page_size"]
        )
    total = result.total if result else 0
    return render_template(
        "pages/organiser/attendees.html",
        event=found,
        query=query,
        errors=errors,
        items=result.items if result else [],
        total=total,
        page=page,
        pages_total=max(1, -(-total // PAGE_SIZE)),
        tz=ZoneInfo(found.timezone),
        nav_current="organiser",
    ), status


@pages.get("/<event>/organiser/attendees/<int:attendee_id>")
@organiser_login_required("attendees.read")
def organiser_attendee(event: str, attendee_id: int):
    found = load_event(event)
    record = attendee_admin.attendee_record(db_session(), event, attendee_id)
    return render_template(
        "pages/organiser/attendee.html",
        event=found,
        attendee=record,
        may_manage=_may_manage(),
        mails_url=service_url("notify", f"/{event}/organiser/mails?attendee={attendee_id}"),
        tz=ZoneInfo(found.timezone),
        nav_current="organiser",
    )


# -- acting for the attendee ---------------------------------------------------------------------


def _back(event: str):
    """To the record the form was on (its hidden `attendee`), else to the search."""
    attendee_id = parse_id(request.form.get("attendee"))
    if attendee_id is None:
        return redirect(url_for(".organiser_attendees", event=event), 303)
    return redirect(url_for(".organiser_attendee", event=event, attendee_id=attendee_id), 303)


def _refused(error: DomainError) -> None:
    details = [m for ms in field_errors(error.errors, " ".join).values() for m in ms]
    flash(" ".join([translate(error.message), *details]), "error")


def _act(event: str, action, success):
    """Run the domain call `action` for a ticket's button; say `success(its result)` or why it
    was refused (an unknown ticket stays a 404), and go back to the record."""
    try:
        result = action()
    except DomainError as error:
        if error.status == 404:
            raise
        _refused(error)
    else:
        flash(success(result), "success")
    return _back(event)


@pages.post("/<event>/organiser/tickets/<int:ticket_id>/cancel")
@organiser_login_required("attendees.manage")
def organiser_cancel_ticket(event: str, ticket_id: int):
    load_event(event)
    return _act(
        event,
        lambda: attendee_admin.cancel_on_behalf(
            db_session(), event, ticket_id, links(), settings()
        ),
        lambda ticket: _(
            "The ticket for “%(title)s” is cancelled; %(name)s gets an email about it.",
            title=ticket["title"],
            name=ticket["name"],
        ),
    )


@pages.post("/<event>/organiser/tickets/<int:ticket_id>/promote")
@organiser_login_required("attendees.manage")
def organiser_promote_ticket(event: str, ticket_id: int):
    load_event(event)
    args = PromoteRequestSchema().load(
        {"over_capacity": request.form.get("over_capacity") == "yes"}
    )
    return _act(
        event,
        lambda: attendee_admin.promote_by_hand(
            db_session(), event, ticket_id, links(), settings(), args["over_capacity"]
        ),
        lambda ticket: _(
            "%(name)s has a seat in “%(title)s” now and gets an email about it.",
            name=ticket["name"],
            title=ticket["title"],
        ),
    )


@pages.post("/<event>/organiser/attendees/<int:attendee_id>/resend")
@organiser_login_required("attendees.manage")
def organiser_resend(event: str, attendee_id: int):
    load_event(event)
    try:
        args = ResendRequestSchema().load({"what": request.form.get("what", "")})
        attendee_admin.resend(db_session(), event, attendee_id, args["what"], links(), settings())
    except ValidationError:
        flash(_("Choose what to send again."), "error")
    except DomainError as error:
        if error.status == 404:
            raise
        _refused(error)
    else:
        if args["what"] == attendee_admin.RESEND_MANAGE_LINK:
            flash(_("The link to manage the booking goes out by email again."), "success")
        else:
            flash(_("The confirmation goes out by email again."), "success")
    return redirect(url_for(".organiser_attendee", event=event, attendee_id=attendee_id), 303)


# -- walk-ins on the check-in page ---------------------------------------------------------------


@pages.post("/<event>/organiser/walk-ins")
@organiser_login_required("checkin")
def organiser_walk_in(event: str):
    found = load_event(event)
    form = request.form
    raw_session = form.get("session", "")
    values = {
        "session": raw_session,
        "name": form.get("name", ""),
        "email": form.get("email", ""),
        "locale": form.get("locale", current_language()),
    }
    page = {"values": {"session": form.get("door", "")}, "walk_in_values": values}
    try:
        args = WalkInRequestSchema().load({**values, "session": parse_id(raw_session) or 0})
    except ValidationError as error:
        general = {
            "session": _("Please choose a session."),
            "name": _("Please enter a name of at most 200 characters."),
            "email": _("Please enter a valid email address."),
            "locale": _("Please choose German or English."),
        }
        errors = _form_errors(error.messages, general)
        if "session" in errors:
            # Not the id's bounds: a choice of the list.
            errors["session"] = [general["session"]]
        return _check_in_page(found, 422, walk_in_errors=errors, **page)
    limit_checkins()
    try:
        result = attendee_admin.walk_in(
            db_session(),
            event,
            args["session"],
            args["name"].strip(),
            args["email"],
            args["locale"],
            None,
            links(),
            settings(),
        )
    except DomainError as error:
        errors = field_errors(error.errors)
        problem = {
            "message": translate(error.message),
            "details": [m for name, ms in errors.items() if name not in values for m in ms],
        }
        walk_in_errors = {name: ms for name, ms in errors.items() if name in values}
        return _check_in_page(
            found, error.status, walk_in_errors=walk_in_errors, walk_in_problem=problem, **page
        )
    answer = attendee_admin.walk_in_answer(result)
    programme_session = db_session().get(ProgrammeSession, answer["session"])
    return _check_in_page(
        found,
        values={"session": str(answer["session"])},
        walk_in_values={"session": str(answer["session"]), "locale": args["locale"]},
        result={
            **answer,
            "title": programme_session.display_title(current_language()),
            "at": result.check_in.checked_in_at.astimezone(ZoneInfo(found.timezone)),
            "walk_in": True,
        },
    )
