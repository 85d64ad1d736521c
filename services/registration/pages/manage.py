"""The attendee's manage page behind the secret link from their email, its tickets to print
(a page and a PDF), and the email confirmation link. The token in the URL is the credential
(another site cannot know it), so these forms need no CSRF token; cancelling and erasing ask once
more before they act. An invalid or expired link offers to send the link again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

from flask import Response, flash, json, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from services.registration import manage
from services.registration.booking import confirm_email
from services.registration.limits import rate_limited
from services.registration.models import Attendee, Ticket
from services.registration.models.ticket import CANCELLED, SEATED
from services.registration.pages import pages
from services.registration.pages.common import links, load_event, local_times, settings
from services.registration.schemas import ManageLinkRequestSchema
from services.registration.tickets_pdf import PrintedTicket, ticket_pdf, ticket_qr, when_text
from shared.errors import DomainError
from shared.pages import (
    LANG_COOKIE,
    LOCALES,
    csrf,
    current_language,
    render_message_page,
    service_url,
    webcal,
)
from shared.permissions import public
from shared.ticket_codes import printed
from shared.web import db_session


@contextmanager
def attendee_language(attendee: Attendee) -> Iterator[None]:
    """The language the page was asked in (`?lang=`, cookie), else the attendee's own."""
    if request.args.get("lang") in LOCALES or request.cookies.get(LANG_COOKIE) in LOCALES:
        yield
    else:
        with force_locale(attendee.locale):
            yield


# Manage tokens are 32 URL-safe characters (`booking.new_secret_token`); anything far longer or
# with a NUL (which PostgreSQL refuses in a query) is no link of ours.
MAX_TOKEN_LENGTH = 200


def _attendee(event: str, token: str) -> Attendee | None:
    if len(token) > MAX_TOKEN_LENGTH or "\x00" in token:
        return None
    try:
        attendee = manage.attendee_by_manage_token(db_session(), token)
    except DomainError:
        return None
    return attendee if attendee.event.slug == event else None


def _invalid_link(event: str):
    """404 with the form that mails the link again (the same form, limit and answer as
    `/{event}/manage`)."""
    return render_template(
        "pages/manage_invalid.html",
        event=load_event(event),
        values={},
        errors={},
        lang_args=_lang_args(),
    ), 404


def _no_ticket():
    return render_message_page(
        404, _("No ticket here"), _("This ticket does not exist or has no seat.")
    )


def _with_attendee(view):
    """The view gets the attendee whose link this is; an invalid link gets the "link not valid"
    page instead."""

    @wraps(view)
    def with_attendee(event: str, token: str, **kwargs):
        attendee = _attendee(event, token)
        if attendee is None:
            return _invalid_link(event)
        return view(attendee, event, token, **kwargs)

    return with_attendee


def _lang_args() -> dict:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in LOCALES else {}


def _back(event: str, token: str):
    return redirect(url_for(".manage_page", event=event, token=token, **_lang_args()), 303)


def qr_svg(code: str, label: str) -> str:
    """The ticket's check-in code as an inline SVG QR code (the scanner at the door reads it)."""
    return ticket_qr(code).svg_inline(
        scale=5, border=2, omitsize=True, title=label, svgclass="qr", lineclass=None
    )


def session_ics_url(event: str, session_id: int) -> str:
    """The session's calendar file on the schedule service."""
    return service_url("schedule", f"/{event}/sessions/{session_id}.ics")


def ticket_view(ticket: Ticket, status_info: dict) -> dict:
    starts, ends = local_times(ticket.session)
    title = ticket.session.display_title(current_language())
    return {
        **status_info,
        "title": title,
        "ics_url": session_ics_url(ticket.session.event.slug, ticket.session_id),
        "stage": ticket.session.stage,
        "starts": starts,
        "ends": ends,
        # Shown in groups of four; the QR code holds the stored form, as in the mails.
        "code": printed(ticket.code),
        "qr": qr_svg(ticket.code, _("QR code of your ticket for %(title)s", title=title))
        if ticket.status in SEATED
        else None,
    }


def _owned_ticket(attendee: Attendee, ticket_id: int) -> Ticket | None:
    ticket = db_session().get(Ticket, ticket_id)
    return ticket if ticket is not None and ticket.attendee_id == attendee.id else None


def _seated_ticket(attendee: Attendee, ticket_id: int) -> Ticket | None:
    """The attendee's ticket if it has a seat (only a seat has a ticket to show at the door)."""
    ticket = _owned_ticket(attendee, ticket_id)
    return ticket if ticket is not None and ticket.status in SEATED else None


def _manage_link_page(event, values: dict, errors: dict, status: int = 200):
    return render_template(
        "pages/manage_link.html",
        event=event,
        values=values,
        errors=errors,
        labels={"email": _("Email address")},
        lang_args=_lang_args(),
    ), status


@pages.get("/<event>/manage")
@public
def manage_link_form(event: str):
    """Where someone who lost the mail asks for their link again."""
    return _manage_link_page(load_event(event), {}, {})


@pages.post("/<event>/manage")
@public
@rate_limited
def manage_link_submit(event: str):
    found = load_event(event)
    values = {"email": request.form.get("email", "")}
    if not values["email"].strip():
        return _manage_link_page(
            found, values, {"email": [_("Please enter your email address.")]}, 422
        )
    try:
        args = ManageLinkRequestSchema().load(values)
    except ValidationError:
        return _manage_link_page(
            found, values, {"email": [_("Please enter a valid email address.")]}, 422
        )
    manage.request_manage_link(db_session(), found.slug, args["email"], links())
    # The same answer whether or not the address is registered: it tells nobody who is.
    flash(
        _(
            "If this address is registered, we have sent it the link to manage the "
            "registration. Please check your email."
        ),
        "success",
    )
    return redirect(url_for(".manage_link_form", event=found.slug, **_lang_args()), 303)


@pages.get("/<event>/manage/<token>")
@public
@_with_attendee
def manage_page(attendee: Attendee, event: str, token: str):
    return _booking_page(attendee)


def _booking_page(attendee: Attendee):
    token = attendee.manage_token
    booking = manage.booking(db_session(), attendee, links())
    with attendee_language(attendee):
        tickets = [
            ticket_view(_owned_ticket(attendee, info["id"]), info) for info in booking["tickets"]
        ]
        return render_template(
            "pages/manage.html",
            event=attendee.event,
            booking=booking,
            tickets=tickets,
            active=[t for t in tickets if t["status"] != CANCELLED],
            token=token,
            webcal_url=webcal(booking["feed_url"]),
            lang_args=_lang_args(),
        )


def _confirm_step(attendee: Attendee, *, question: str, detail: str, action: str, button: str):
    return render_template(
        "pages/manage_confirm.html",
        event=attendee.event,
        question=question,
        detail=detail,
        action=action,
        button=button,
        back=url_for(
            ".manage_page", event=attendee.event.slug, token=attendee.manage_token, **_lang_args()
        ),
    )


@pages.get("/<event>/manage/<token>/tickets/<int:ticket_id>/cancel")
@public
@_with_attendee
def cancel_ticket_confirm(attendee: Attendee, event: str, token: str, ticket_id: int):
    ticket = _owned_ticket(attendee, ticket_id)
    if ticket is None or ticket.status == CANCELLED:
        return _invalid_link(event)
    with attendee_language(attendee):
        title = ticket.session.display_title(current_language())
        return _confirm_step(
            attendee,
            question=_("Cancel your place for “%(title)s”?", title=title),
            detail=_("Your place goes to the next person on the waiting list at once."),
            action=url_for(
                ".cancel_ticket_page", event=event, token=token, ticket_id=ticket_id, **_lang_args()
            ),
            button=_("Yes, cancel this place"),
        )


@csrf.exempt
@pages.post("/<event>/manage/<token>/tickets/<int:ticket_id>/cancel")
@public
@_with_attendee
def cancel_ticket_page(attendee: Attendee, event: str, token: str, ticket_id: int):
    ticket = _owned_ticket(attendee, ticket_id)
    if ticket is None:
        return _invalid_link(event)
    manage.cancel_attendee_ticket(db_session(), attendee, ticket_id, links(), settings())
    with attendee_language(attendee):
        title = ticket.session.display_title(current_language())
        flash(_("Your place for “%(title)s” is cancelled.", title=title), "success")
    return _back(event, token)


def printed_ticket(attendee: Attendee, ticket: Ticket) -> PrintedTicket:
    """The ticket's texts in the page's language, for the print page and the PDF."""
    starts, ends = local_times(ticket.session)
    return PrintedTicket(
        event=attendee.event.title or attendee.event.slug,
        title=ticket.session.display_title(current_language()),
        starts=starts,
        ends=ends,
        venue=", ".join(
            part for part in (ticket.session.stage, ticket.session.stage_address) if part
        ),
        holder=ticket.name or attendee.name,
        address=attendee.email,
        code=ticket.code,
        printed_code=printed(ticket.code),
        locale=current_language(),
        labels={
            "document": _("Ticket"),
            "holder": _("Name"),
            "address": _("Email address"),
            "code": _("Ticket code"),
            "hint": _(
                "Show this ticket at the door, printed or on your phone; we scan the QR code."
            ),
        },
    )


@pages.get("/<event>/manage/<token>/tickets/<int:ticket_id>")
@public
@_with_attendee
def ticket_page(attendee: Attendee, event: str, token: str, ticket_id: int):
    """One seated ticket as a page to print (its print stylesheet leaves out all but the
    ticket), with a link to the same ticket as PDF."""
    ticket = _seated_ticket(attendee, ticket_id)
    if ticket is None:
        return _no_ticket()
    with attendee_language(attendee):
        printed_ticket_ = printed_ticket(attendee, ticket)
        return render_template(
            "pages/ticket.html",
            event=attendee.event,
            ticket=printed_ticket_,
            ticket_id=ticket.id,
            when=when_text(printed_ticket_.starts, printed_ticket_.ends, current_language()),
            qr=qr_svg(
                ticket.code, _("QR code of your ticket for %(title)s", title=printed_ticket_.title)
            ),
            token=token,
            lang_args=_lang_args(),
        )


@pages.get("/<event>/manage/<token>/tickets/<int:ticket_id>.pdf")
@public
@_with_attendee
def ticket_pdf_page(attendee: Attendee, event: str, token: str, ticket_id: int):
    ticket = _seated_ticket(attendee, ticket_id)
    if ticket is None:
        return _no_ticket()
    with attendee_language(attendee):
        document = ticket_pdf(printed_ticket(attendee, ticket))
    return Response(
        document,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{event}-ticket-{ticket.id}.pdf"',
            "X-Robots-Tag": "noindex",
        },
    )


@pages.get("/<event>/manage/<token>/cancel")
@public
@_with_attendee
def cancel_all_confirm(attendee: Attendee, event: str, token: str):
    with attendee_language(attendee):
        return _confirm_step(
            attendee,
            question=_("Cancel all your places?"),
            detail=_("Your places go to the people on the waiting lists at once."),
            action=url_for(".cancel_all_page", event=event, token=token, **_lang_args()),
            button=_("Yes, cancel all places"),
        )


@csrf.exempt
@pages.post("/<event>/manage/<token>/cancel")
@public
@_with_attendee
def cancel_all_page(attendee: Attendee, event: str, token: str):
    cancelled = manage.cancel_all(db_session(), attendee, links(), settings())
    if cancelled:
        with attendee_language(attendee):
            flash(_("All your places are cancelled."), "success")
    return _back(event, token)


@csrf.exempt
@pages.post("/<event>/manage/<token>/locale")
@public
@_with_attendee
def locale_page(attendee: Attendee, event: str, token: str):
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        manage.set_locale(db_session(), attendee, locale, links())
    return redirect(url_for(".manage_page", event=event, token=token, lang=attendee.locale), 303)


@csrf.exempt
@pages.post("/<event>/manage/<token>/feed-token")
@public
@_with_attendee
def feed_token_page(attendee: Attendee, event: str, token: str):
    manage.revoke_feed_token(db_session(), attendee, links())
    with attendee_language(attendee):
        flash(_("Your calendar feed has a new link; the old one stops working."), "success")
    return _back(event, token)


@pages.get("/<event>/manage/<token>/data.json")
@public
@_with_attendee
def data_page(attendee: Attendee, event: str, token: str):
    data = manage.personal_data(db_session(), attendee, links())
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{event}-my-data.json"'},
    )


@pages.get("/<event>/manage/<token>/erase")
@public
@_with_attendee
def erase_confirm(attendee: Attendee, event: str, token: str):
    with attendee_language(attendee):
        return _confirm_step(
            attendee,
            question=_("Erase your data?"),
            detail=_(
                "We free all your places and delete your name and email address. This cannot "
                "be undone. You get one last email to confirm it."
            ),
            action=url_for(".erase_page", event=event, token=token, **_lang_args()),
            button=_("Yes, erase my data"),
        )


@csrf.exempt
@pages.post("/<event>/manage/<token>/erase")
@public
@_with_attendee
def erase_page(attendee: Attendee, event: str, token: str):
    with attendee_language(attendee):
        manage.erase(db_session(), attendee, links(), settings())
        return render_message_page(
            200,
            _("Your data has been erased"),
            _("Your data has been erased. You will get one last confirmation by email."),
        )


@pages.get("/<event>/confirm/<token>")
@public
def confirm_page(event: str, token: str):
    attendee_id = links().attendee_of_confirm_token(token)
    attendee = db_session().get(Attendee, attendee_id) if attendee_id is not None else None
    if attendee is None or attendee.erased_at is not None or attendee.event.slug != event:
        return _invalid_link(event)
    confirm_email(db_session(), attendee, links())
    with attendee_language(attendee):
        flash(_("Thank you, your email address is confirmed."), "success")
    # The booking at once, its held seats now confirmed.
    return _booking_page(attendee)
