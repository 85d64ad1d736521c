"""Organiser pages of the registration service (signed in on the schedule service): counts per
session, attendee and waiting lists, check-in at the door, the CSV export, and whether new
seats wait for the attendee's email confirmation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from services.registration import reports
from services.registration.audit import change_settings
from services.registration.checkin import check_in, checkin_answer, door_count
from services.registration.limits import limit_checkins
from services.registration.models import Event, ProgrammeSession
from services.registration.models.ticket import CONFIRMED, HELD, WAITLISTED
from services.registration.pages import pages
from services.registration.pages.common import form_field, links, load_event, settings
from services.registration.settings import MAX_NO_SHOW_MINUTES
from shared.errors import DomainError
from shared.fields import parse_id
from shared.messages.schedule import SESSION_CANCELLED
from shared.pages import current_language, local_time, translate
from shared.pages.organisers import organiser_login_required
from shared.web import db_session, field_errors

PAGE_SIZE = 100
# The lists of one session the dashboard links to: query of `reports.session_tickets`.
TICKET_LISTS = {
    "attendees": ({"status": CONFIRMED, "checked_in": None}, lazy_gettext("Attendees")),
    "held": (
        {"status": HELD, "checked_in": None},
        lazy_gettext("Waiting for email confirmation"),
    ),
    "waitlist": ({"status": WAITLISTED, "checked_in": None}, lazy_gettext("Waiting list")),
    "checked-in": ({"status": None, "checked_in": True}, lazy_gettext("Checked in")),
}
CONFIRM_EMAIL_CHOICES = {"default": None, "on": True, "off": False}


def _tz(event: Event) -> ZoneInfo:
    return ZoneInfo(event.timezone)


@pages.get("/<event>/organiser/registrations")
@organiser_login_required("statistics.read")
def organiser_dashboard(event: str):
    found = load_event(event)
    counts = reports.session_counts(db_session(), event)
    choice = next(k for k, v in CONFIRM_EMAIL_CHOICES.items() if v is found.confirm_email)
    return render_template(
        "pages/organiser/dashboard.html",
        event=found,
        counts=counts,
        tz=_tz(found),
        confirm_email=choice,
        service_default=settings().confirm_email,
        no_show_minutes=found.release_no_shows_after_minutes,
        no_show_default=settings().release_no_shows_after_minutes,
        max_no_show_minutes=MAX_NO_SHOW_MINUTES,
        nav_current="organiser",
    )


@pages.get("/<event>/organiser/registrations/sessions/<int:session_id>")
@organiser_login_required("attendees.read")
def organiser_session(event: str, session_id: int):
    found = load_event(event)
    kind = request.args.get("list", "attendees")
    if kind not in TICKET_LISTS:
        abort(404)
    page = parse_id(request.args.get("page")) or 1
    try:
        programme_session = reports.find_session(db_session(), event, session_id)
    except DomainError:
        abort(404, _("This session is not in the programme."))
    query, _label = TICKET_LISTS[kind]
    items, total = reports.session_tickets(
        db_session(), event, session_id, **query, page=page, page_size=PAGE_SIZE
    )
    return render_template(
        "pages/organiser/session.html",
        event=found,
        session=programme_session,
        items=items,
        total=total,
        page=page,
        pages_total=max(1, -(-total // PAGE_SIZE)),
        kind=kind,
        lists=TICKET_LISTS,
        tz=_tz(found),
        nav_current="organiser",
    )


@pages.get("/<event>/organiser/registrations/attendees.csv")
@organiser_login_required("attendees.read")
def organiser_export(event: str):
    load_event(event)
    raw_session = request.args.get("session", "")
    session_id = parse_id(raw_session)
    if raw_session and session_id is None:
        abort(404, _("This session is not in the programme."))
    try:
        body = reports.attendees_csv(db_session(), event, session_id, language=current_language())
    except DomainError:
        abort(404, _("This session is not in the programme."))
    return Response(
        body.encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{event}-attendees.csv"',
        },
    )


@pages.post("/<event>/organiser/registrations/settings")
@organiser_login_required("registration.settings")
def organiser_settings(event: str):
    found = load_event(event)
    choice = request.form.get("confirm_email", "")
    if choice not in CONFIRM_EMAIL_CHOICES:
        abort(422)
    minutes = request.form.get("release_no_shows_after_minutes", "").strip()
    if minutes and not (minutes.isdigit() and int(minutes) <= MAX_NO_SHOW_MINUTES):
        flash(
            _("Give 0 to %(most)s minutes, or leave the field empty.", most=MAX_NO_SHOW_MINUTES),
            "error",
        )
        return redirect(url_for(".organiser_dashboard", event=event), 303)
    change_settings(
        db_session(),
        found,
        {
            "confirm_email": CONFIRM_EMAIL_CHOICES[choice],
            "release_no_shows_after_minutes": int(minutes) if minutes else None,
        },
    )
    flash(_("The settings are saved."), "success")
    return redirect(url_for(".organiser_dashboard", event=event), 303)


def _check_in_page(found: Event, status: int = 200, **context):
    tz = _tz(found)
    doors = [
        (str(row["session"]), f"{local_time(row['starts_at'].astimezone(tz))} {row['title']}")
        for row in reports.session_counts(db_session(), found.slug)
        if row["registration_mode"] == "required" and row["status"] != SESSION_CANCELLED
    ]
    values = context.get("values", {})
    door = values.get("session", "")
    result = context.get("result")
    # The running count of the chosen door, or of the session of the ticket just checked in.
    count_session = result["session"] if result else parse_id(door)
    counted = None
    if count_session is not None and str(count_session) in dict(doors):
        programme_session = db_session().get(ProgrammeSession, count_session)
        counted = {
            "title": programme_session.display_title(current_language()),
            "count": door_count(db_session(), count_session),
        }
    return render_template(
        "pages/organiser/check_in.html",
        event=found,
        doors=doors,
        tz=tz,
        nav_current="organiser",
        counted=counted,
        **{
            "values": {},
            "errors": {},
            "result": None,
            "problem": None,
            "status": status,
            **context,
        },
    ), status


@pages.get("/<event>/organiser/check-in")
@organiser_login_required("checkin")
def organiser_check_in(event: str):
    found = load_event(event)
    return _check_in_page(found, values={"session": request.args.get("session", "")})


@pages.post("/<event>/organiser/check-in")
@organiser_login_required("checkin")
def organiser_check_in_submit(event: str):
    found = load_event(event)
    # Scanners type the code and press Enter; spaces around it are theirs, not the code's.
    code = request.form.get("code", "").strip()
    door = request.form.get("session", "")
    values = {"session": door}
    if not code:
        errors = {"code": [_("Please enter or scan a ticket code.")]}
        return _check_in_page(found, 422, values=values, errors=errors)
    limit_checkins()
    try:
        result = check_in(db_session(), event, code, links(), session_id=parse_id(door))
    except DomainError as exc:
        problem = {
            "message": translate(exc.message),
            "details": field_errors(exc.errors, form_field),
            # What was typed or scanned, shown (not put back into the field, where a scanner
            # would type the next code after it).
            "code": code,
        }
        return _check_in_page(found, exc.status, values=values, problem=problem)
    answer = checkin_answer(result)
    ticket = result.ticket
    return _check_in_page(
        found,
        values=values,
        result={
            **answer,
            "title": ticket.session.display_title(current_language()),
            "at": result.checked_in_at.astimezone(_tz(found)),
        },
    )
