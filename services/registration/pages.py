"""Server-rendered pages for attendees: manage a booking, confirm the email address.

The secret token in the URL is the capability; forms POST back to it and redirect (303).
German by default, English with `?lang=en` (or the attendee's chosen language).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    json,
    redirect,
    render_template,
    request,
    url_for,
)

from services.registration import manage
from services.registration.booking import confirm_email
from services.registration.errors import DomainError
from services.registration.models import Attendee
from shared.pages import csrf
from shared.web import db_session

pages = Blueprint("registration_pages", __name__, template_folder="templates")
# The secret token in the URL is the credential, so another site cannot forge these forms.
csrf.exempt(pages)

TEXTS = {
    "de": {
        "title": "Deine Anmeldung",
        "hello": "Hallo",
        "session": "Veranstaltung",
        "when": "Wann",
        "status": "Status",
        "confirmed": "Platz bestätigt",
        "held": "Platz reserviert – bitte E-Mail-Adresse bestätigen",
        "waitlisted": "Warteliste, Platz",
        "cancelled": "Storniert",
        "code": "Ticket-Code",
        "cancel": "Stornieren",
        "cancel_all": "Alle Plätze stornieren",
        "no_tickets": "Keine Anmeldungen.",
        "language": "Sprache für E-Mails",
        "save": "Speichern",
        "feed": "Dein persönlicher Kalender-Feed",
        "feed_help": "In deiner Kalender-App abonnieren. Neuer Link, falls du ihn geteilt hast:",
        "new_feed": "Neuen Feed-Link erzeugen",
        "data": "Deine Daten",
        "download": "Alle gespeicherten Daten herunterladen (JSON)",
        "erase": "Meine Daten löschen und alle Plätze freigeben",
        "erase_confirm": "Wirklich alles löschen? Das kann nicht rückgängig gemacht werden.",
        "erased": "Deine Daten wurden gelöscht. Du bekommst noch eine letzte Bestätigung per E-Mail.",
        "invalid": "Dieser Link ist ungültig oder abgelaufen.",
        "email_confirmed": "Danke, deine E-Mail-Adresse ist bestätigt.",
        "manage_link": "Zu deiner Anmeldung",
        "other_language": "English",
    },
    "en": {
        "title": "Your registration",
        "hello": "Hello",
        "session": "Session",
        "when": "When",
        "status": "Status",
        "confirmed": "Seat confirmed",
        "held": "Seat held – please confirm your email address",
        "waitlisted": "Waiting list, position",
        "cancelled": "Cancelled",
        "code": "Ticket code",
        "cancel": "Cancel",
        "cancel_all": "Cancel all seats",
        "no_tickets": "No registrations.",
        "language": "Language for emails",
        "save": "Save",
        "feed": "Your personal calendar feed",
        "feed_help": "Subscribe in your calendar app. A new link, if you shared it:",
        "new_feed": "Make a new feed link",
        "data": "Your data",
        "download": "Download everything stored about you (JSON)",
        "erase": "Erase my data and give up all seats",
        "erase_confirm": "Really erase everything? This cannot be undone.",
        "erased": "Your data has been erased. You will get one last confirmation by email.",
        "invalid": "This link is invalid or has expired.",
        "email_confirmed": "Thank you, your email address is confirmed.",
        "manage_link": "To your registration",
        "other_language": "Deutsch",
    },
}


def _links():
    return current_app.extensions["registration_links"]


def _settings():
    return current_app.extensions["registration_settings"]


def _lang(attendee: Attendee | None = None) -> str:
    wanted = request.args.get("lang")
    if wanted in TEXTS:
        return wanted
    return attendee.locale if attendee is not None else "de"


def _render(template: str, status: int = 200, lang: str = "de", **context):
    return render_template(template, t=TEXTS[lang], lang=lang, **context), status


def _invalid_link():
    return _render("registration/message.html", 404, _lang(), message_key="invalid")


def _attendee(event: str, token: str) -> Attendee | None:
    try:
        attendee = manage.attendee_by_manage_token(db_session(), token)
    except DomainError:
        return None
    return attendee if attendee.event.slug == event else None


def _back(event: str, token: str):
    lang = request.args.get("lang")
    target = url_for(".manage_page", event=event, token=token, **({"lang": lang} if lang else {}))
    return redirect(target, 303)


@pages.get("/<event>/manage/<token>")
def manage_page(event: str, token: str):
    attendee = _attendee(event, token)
    if attendee is None:
        return _invalid_link()
    lang = _lang(attendee)
    booking = manage.booking(db_session(), attendee, _links())
    zone = ZoneInfo(attendee.event.timezone)
    for ticket in booking["tickets"]:
        ticket["local_start"] = ticket["starts_at"].astimezone(zone).strftime("%d.%m.%Y %H:%M")
        ticket["display_title"] = (
            ticket["title_en"] if lang == "en" and ticket["title_en"] else ticket["title"]
        )
    return _render(
        "registration/manage.html",
        lang=lang,
        booking=booking,
        event=event,
        token=token,
        event_title=attendee.event.title,
    )


@pages.post("/<event>/manage/<token>/tickets/<int:ticket_id>/cancel")
def cancel_ticket_page(event: str, token: str, ticket_id: int):
    attendee = _attendee(event, token)
    if attendee is None:
        return _invalid_link()
    try:
        manage.cancel_attendee_ticket(db_session(), attendee, ticket_id, _links(), _settings())
    except DomainError:
        return _invalid_link()
    return _back(event, token)


@pages.post("/<event>/manage/<token>/cancel")
def cancel_all_page(event: str, token: str):
    attendee = _attendee(event, token)
    if attendee is None:
        return _invalid_link()
    manage.cancel_all(db_session(), attendee, _links(), _settings())
    return _back(event, token)


@pages.post("/<event>/manage/<token>/locale")
def locale_page(event: str, token: str):
    attendee = _attendee(event, token)
    if attendee is None:
        return _invalid_link()
    locale = request.form.get("locale", "")
    if locale in TEXTS:
        manage.set_locale(db_session(), attendee, locale, _links())
    return redirect(url_for(".manage_page", event=event, token=token, lang=attendee.locale), 303)


@pages.post("/<event>/manage/<token>/feed-token")
def feed_token_page(event: str, token: str):
    attendee = _attendee(event, token)
    if attendee is None:
        return _invalid_link()
    manage.revoke_feed_token(db_session(), attendee, _links())
    return _back(event, token)


@pages.get("/<event>/manage/<token>/data.json")
def data_page(event: str, token: str):
    attendee = _attendee(event, token)
    if attendee is None:
        return _invalid_link()
    data = manage.personal_data(db_session(), attendee, _links())
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{event}-my-data.json"'},
    )


@pages.post("/<event>/manage/<token>/erase")
def erase_page(event: str, token: str):
    attendee = _attendee(event, token)
    if attendee is None:
        return _invalid_link()
    lang = _lang(attendee)
    manage.erase(db_session(), attendee, _links(), _settings())
    return _render("registration/message.html", lang=lang, message_key="erased")


@pages.get("/<event>/confirm/<token>")
def confirm_page(event: str, token: str):
    attendee_id = _links().attendee_of_confirm_token(token)
    attendee = db_session().get(Attendee, attendee_id) if attendee_id is not None else None
    if attendee is None or attendee.erased_at is not None or attendee.event.slug != event:
        return _invalid_link()
    confirm_email(db_session(), attendee, _links())
    return _render(
        "registration/message.html",
        lang=_lang(attendee),
        message_key="email_confirmed",
        manage_url=url_for(".manage_page", event=event, token=attendee.manage_token),
    )
