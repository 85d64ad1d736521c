"""Organiser pages about an organisation's events (issue 12): create an event, or a new edition
of one of its past events (its venues and tracks, no sessions). The form goes through the API's
`NewEventSchema`, so the page refuses what `POST /api/v1/events` refuses, naming the field."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from services.schedule import organisations
from services.schedule.editions import copy_edition
from services.schedule.models import Event
from services.schedule.pages import pages
from services.schedule.pages.organiser import form_field, load_form
from services.schedule.schemas import NewEventSchema
from shared.errors import Conflict, DomainError
from shared.messages.schedule import MAX_NO_SHOW_MINUTES
from shared.pages import translate
from shared.pages.organisers import organiser_login_required
from shared.web import db_session, field_errors

NEW_EVENT = NewEventSchema()
# The form's fields, named as the schema's (the organisation is the URL's); besides them
# `copy_from`, the event a new edition copies.
EVENT_FORM_FIELDS = tuple(name for name in NEW_EVENT.fields if name != "organisation")
# The time zones the form offers (the schema and `draft.create_event` accept any IANA zone).
TIME_ZONES = (
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Paris",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Budapest",
    "Europe/Athens",
    "Europe/Istanbul",
    "UTC",
)
LOCALES = {"de": lazy_gettext("German"), "en": lazy_gettext("English")}
DEFAULTS = {"timezone": "Europe/Berlin", "locale": "de"}


def event_form_field(path: tuple[str, ...]) -> str:
    """The form field that shows an error: the schema's own names, the owner on the form."""
    name = form_field(path)
    return "_form" if name == "organisation" else name


def organisations_events(organisation: str) -> list[Event]:
    """The events of `organisation`, latest first: what a new edition may copy (whoever may
    create its events sees all of them: "events.create" is for unlimited members)."""
    return organisations.organisation_events(db_session(), organisation)[::-1]


def _render_event_form(organisation, sources: list[Event], values: dict, errors: dict, status=200):
    zones = list(TIME_ZONES)
    chosen = values.get("timezone", "")
    if chosen and chosen not in zones:
        zones.insert(0, chosen)
    return render_template(
        "pages/organiser/event_form.html",
        organisation=organisation,
        values=values,
        errors=errors,
        timezone_options=[(zone, zone) for zone in zones],
        locale_options=[(code, str(label)) for code, label in LOCALES.items()],
        max_no_show_minutes=MAX_NO_SHOW_MINUTES,
        source_options=[("", _("None: start empty"))]
        + [
            (event.slug, f"{event.title} ({event.starts_on.year}, {event.slug})")
            for event in sources
        ],
    ), status


@pages.route("/organisations/<organisation>/events/new", methods=["GET", "POST"])
@organiser_login_required("events.create")
def new_event(organisation: str):
    """Create an event of `organisation`, empty or as a new edition of one of its events."""
    found = organisations.find_organisation(db_session(), organisation)
    sources = organisations_events(organisation)
    if request.method == "GET":
        return _render_event_form(found, sources, dict(DEFAULTS), {})
    form = {name: request.form.get(name, "").strip() for name in EVENT_FORM_FIELDS}
    data: dict = {name: value for name, value in form.items() if value and name != "venues"}
    # One venue per line of the text area.
    data["venues"] = [line.strip() for line in form["venues"].splitlines() if line.strip()]
    values, errors = load_form(NEW_EVENT, data)
    copy_from = request.form.get("copy_from", "")
    source = next((event for event in sources if event.slug == copy_from), None)
    if copy_from and source is None:
        errors["copy_from"] = [_("Please choose one of the organisation's events.")]
    if not errors:
        try:
            if source is None:
                created = organisations.create_event_for(
                    db_session(), g.principal, values | {"organisation": organisation}
                )
            else:
                created = copy_edition(db_session(), g.principal, source, values)
        except DomainError as error:
            errors = field_errors(error.errors, event_form_field) or {
                "slug" if isinstance(error, Conflict) else "_form": [translate(error.message)]
            }
        else:
            if source is None:
                flash(_("Event “%(title)s” created.", title=created.title), "success")
            else:
                flash(
                    _(
                        "Event “%(title)s” created with the venues and tracks of “%(source)s”.",
                        title=created.title,
                        source=source.title,
                    ),
                    "success",
                )
            return redirect(url_for(".dashboard", event=created.slug), 303)
    return _render_event_form(found, sources, form | {"copy_from": copy_from}, errors, 422)
