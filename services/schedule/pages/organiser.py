"""Organiser pages: login, the draft's sessions and stages, publishing with a changelog preview,
and live control. Each form goes through the schema of its API operation and is handed to the
same domain function, so a page refuses what the API refuses, naming the field."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import Schema, ValidationError

from services.schedule import draft, organisations
from services.schedule.limits import refuse_too_many_attempts
from services.schedule.live import announce_delay, live_overview, set_live_status
from services.schedule.models import Event, OrganiserAccount
from services.schedule.organisers import end_session
from services.schedule.overview import programme_overview
from services.schedule.pages import pages
from services.schedule.pages.programme import SESSION_TYPES, day_label
from services.schedule.releases import changelog_preview, latest_release, publish_release
from services.schedule.schemas import (
    DraftSessionChangeSchema,
    DraftSessionSchema,
    StageChangeSchema,
    StageSchema,
)
from shared.errors import DomainError
from shared.fields import MOMENT_MESSAGE, computable_date
from shared.messages.schedule import SESSION_SCHEDULED
from shared.pages import attention_fragment, translate
from shared.pages.organisers import (
    check_organiser_password,
    organiser_login_required,
    safe_next_url,
    sign_in,
    sign_out,
)
from shared.permissions import public
from shared.web import db_session, field_errors

DELAY_CHOICES = (5, 10, 15)
# The schemas of the API operations that the forms stand for (POST, and PATCH with what the
# form shows).
NEW_SESSION = DraftSessionSchema()
SESSION_CHANGE = DraftSessionChangeSchema(partial=True)
NEW_STAGE = StageSchema()
STAGE_CHANGE = StageChangeSchema(partial=True)
CHANGE_KINDS = {
    "new": lazy_gettext("new"),
    "moved": lazy_gettext("moved"),
    "changed": lazy_gettext("changed"),
    "cancelled": lazy_gettext("cancelled"),
    "restored": lazy_gettext("restored"),
}
# The languages a session is held in that the form offers (others stay as imported).
SESSION_LANGUAGES = {"de": lazy_gettext("German"), "en": lazy_gettext("English")}
REGISTRATION_MODES = {
    "none": lazy_gettext("No registration"),
    "required": lazy_gettext("Registration required (seats)"),
    "external": lazy_gettext("Registration with the host"),
}
# Schema and domain error keys -> the form field that shows them.
_FIELD_OF = {"starts_at": "start", "ends_at": "end", "mode": "registration", "_schema": "_form"}


def form_field(path: tuple[str, ...]) -> str:
    """The form field that shows a domain error (`shared.web.field_errors`); a list item's
    (`("venues", "2")`) shows at its list's field."""
    name = path[0] if path[-1].isdigit() else path[-1]
    return _FIELD_OF.get(name, name)


def load_event(slug: str) -> Event:
    return draft.find_event(db_session(), slug)


# -- login --------------------------------------------------------------------------------------


@pages.context_processor
def _unpublished_changes():
    return {"unpublished_changes": unpublished_changes}


def preview(event: Event):
    """`changelog_preview` of `event`, computed once per request (the page and its navigation
    both ask)."""
    previews = g.setdefault("changelog_previews", {})
    if event.id not in previews:
        previews[event.id] = changelog_preview(db_session(), event)
    return previews[event.id]


def unpublished_changes(event: Event) -> int:
    """How many sessions the draft changes against the latest release (1 if only the event's
    own details differ): every organiser page says so, so nothing waits unnoticed."""
    changes, changed = preview(event)
    return len(changes) or int(changed)


@pages.route("/login", methods=["GET", "POST"])
@public
def login():
    next_url = safe_next_url(request.values.get("next"), url_for(".organiser_home"))
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        refuse_too_many_attempts(name)
        account = check_organiser_password(
            db_session(), OrganiserAccount, name, request.form.get("password", "")
        )
        if account is not None:
            sign_in(account.principal())
            return redirect(next_url, 303)
        return render_template(
            "login.html", failed=True, values={"name": name}, next_url=next_url
        ), 401
    return render_template("login.html", failed=False, values={}, next_url=next_url)


@pages.post("/logout")
@public
def logout():
    ended = sign_out()
    if ended is not None:
        end_session(db_session(), *ended)
    flash(_("You are logged out."), "success")
    return redirect(url_for(".login"), 303)


@pages.get("/organiser/")
@organiser_login_required("events.list")
def organiser_home():
    """Where the login leads: the events the organiser works on, each with what its role offers."""
    principal = g.principal
    return render_template(
        "pages/organiser/home.html",
        events=organisations.events_seen_by(db_session(), principal),
        principal=principal,
        organisation=(
            None
            if principal.administrator
            else organisations.find_organisation(db_session(), principal.organisation)
        ),
        today=date.today(),
    )


# -- the event's overview -----------------------------------------------------------------------


@pages.get("/<event>/organiser/overview")
@organiser_login_required("events.list")
def overview(event: str):
    """The event's landing page: what needs attention, and the day at hand. Registration and
    notify add their parts (full sessions, failed mails) to it from their own data."""
    found = load_event(event)
    return render_template(
        "pages/organiser/overview.html",
        event=found,
        overview=programme_overview(db_session(), found),
        day_label=day_label,
        principal=g.principal,
        nav_current="organiser",
    )


@pages.get("/<event>/organiser/pending")
@organiser_login_required("programme.edit")
def pending_changes(event: str):
    """The draft's unpublished changes, for registration's and notify's organiser pages."""
    found = load_event(event)
    return attention_fragment(
        "pages/organiser/_pending.html", event=found, pending=unpublished_changes(found)
    )


# -- dashboard and sessions ---------------------------------------------------------------------


@pages.get("/<event>/organiser/")
@organiser_login_required("programme.edit")
def dashboard(event: str):
    found = load_event(event)
    release = latest_release(db_session(), found)
    return render_template(
        "pages/organiser/dashboard.html",
        event=found,
        sessions=draft.list_sessions(db_session(), found),
        tz=draft.event_timezone(found),
        release=release,
        nav_current="organiser",
    )


def _session_form_values(programme_session, event: Event) -> dict[str, str]:
    tz = draft.event_timezone(event)
    starts, ends = (
        programme_session.starts_at.astimezone(tz),
        programme_session.ends_at.astimezone(tz),
    )
    return {
        "title": programme_session.title,
        "title_en": programme_session.title_en,
        "abstract": programme_session.abstract,
        "abstract_en": programme_session.abstract_en,
        "language": programme_session.language,
        "tracks": [track.slug for track in programme_session.tracks],
        "speakers": [str(speaker.id) for speaker in programme_session.speakers],
        "livestream_url": programme_session.livestream_url,
        "type": programme_session.type,
        "stage": programme_session.stage.guid,
        "day": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "registration": programme_session.registration_mode,
        "capacity": ""
        if programme_session.registration_capacity is None
        else str(programme_session.registration_capacity),
        "external": programme_session.registration_external,
        "streamed": "on" if programme_session.streamed else "",
        "status": programme_session.status,
    }


def load_form(schema: Schema, data: dict[str, Any], unread: tuple[str, ...] = ()):
    """`data` loaded by the API's `schema`, or errors by form field. `unread` are fields the
    form could not even read (their errors are shown already): the schema skips them."""
    try:
        return schema.load(data, partial=schema.partial or unread), {}
    except ValidationError as exc:
        return {}, field_errors(exc.messages, form_field)


def _text(form, name: str) -> str:
    return form.get(name, "").strip()


def session_moments(form, event: Event) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form's day, start and end as the API's `starts_at`/`ends_at` (ISO 8601 with the
    event's offset), or errors at the day or time the form could not read."""
    errors: dict[str, list[str]] = {}
    try:
        day = computable_date(date.fromisoformat(form.get("day", "")))
    except ValueError:
        errors["day"] = [_("Please give the day as YYYY-MM-DD.")]
        day = None
    except ValidationError:
        errors["day"] = [translate(MOMENT_MESSAGE)]
        day = None
    moments = {}
    for name in ("start", "end"):
        try:
            moments[name] = time.fromisoformat(form.get(name, ""))
        except ValueError:
            errors[name] = [_("Please give the time as HH:MM.")]
    if errors:
        return {}, errors
    tz = draft.event_timezone(event)
    return {
        "starts_at": datetime.combine(day, moments["start"], tz).isoformat(),
        "ends_at": datetime.combine(day, moments["end"], tz).isoformat(),
    }, {}


def parse_session_form(
    form, event: Event, schema: Schema
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The session form as `create_session`/`update_session` values, loaded by the `schema` of
    the API operation that does the same, or errors by form field."""
    moments, moment_errors = session_moments(form, event)
    values, errors = load_form(
        schema,
        {
            "title": _text(form, "title"),
            "title_en": _text(form, "title_en"),
            "abstract": _text(form, "abstract"),
            "abstract_en": _text(form, "abstract_en"),
            "language": _text(form, "language") or "de",
            "tracks": form.getlist("tracks"),
            # Ids as numbers; anything else goes to the schema as it is, which names the field.
            "speakers": [int(v) if v.isdigit() else v for v in form.getlist("speakers")],
            "livestream_url": _text(form, "livestream_url"),
            "type": _text(form, "type") or "talk",
            "stage": form.get("stage", ""),
            **moments,
            "registration": {
                "mode": form.get("registration", "none"),
                "capacity": _text(form, "capacity") or None,
                "external": _text(form, "external") or None,
            },
            "streamed": form.get("streamed") == "on",
            "status": form.get("status", SESSION_SCHEDULED),
        },
        unread=() if moments else ("starts_at", "ends_at"),
    )
    errors = errors | moment_errors
    return ({}, errors) if errors else (values, {})


def _render_session_form(
    event: Event, values: dict, errors: dict, programme_session=None, status: int = 200
):
    stages = draft.list_stages(db_session(), event)
    return render_template(
        "pages/organiser/session_form.html",
        event=event,
        programme_session=programme_session,
        values=values,
        errors=errors,
        stage_options=[(stage.guid, stage.name) for stage in stages],
        type_options=[(kind, str(label)) for kind, label in SESSION_TYPES.items()],
        registration_options=[(mode, str(label)) for mode, label in REGISTRATION_MODES.items()],
        language_options=[(code, str(label)) for code, label in SESSION_LANGUAGES.items()],
        tracks=draft.list_tracks(db_session(), event),
        speakers=draft.list_speakers(db_session(), event),
        nav_current="organiser",
    ), status


def _typed(form) -> dict[str, Any]:
    """What the form sent, to show it again with its errors (the lists as lists)."""
    return form.to_dict() | {"tracks": form.getlist("tracks"), "speakers": form.getlist("speakers")}


@pages.route("/<event>/organiser/sessions/new", methods=["GET", "POST"])
@organiser_login_required("programme.edit")
def new_session(event: str):
    found = load_event(event)
    if request.method == "GET":
        return _render_session_form(found, {"day": found.starts_on.isoformat()}, {})
    values, errors = parse_session_form(request.form, found, NEW_SESSION)
    if not errors:
        try:
            programme_session = draft.create_session(db_session(), found, values)
        except DomainError as error:
            errors = field_errors(error.errors, form_field) or {"_form": [translate(error.message)]}
        else:
            flash(
                _("Session “%(title)s” added to the draft.", title=programme_session.title),
                "success",
            )
            return redirect(url_for(".dashboard", event=event), 303)
    return _render_session_form(found, _typed(request.form), errors, status=422)


def _draft_session(event: Event, session_id: int):
    programme_session = draft.find_session(db_session(), event, session_id)
    if programme_session is None:
        abort(404, _("This session is not in the draft."))
    return programme_session


@pages.route("/<event>/organiser/sessions/<int:session_id>", methods=["GET", "POST"])
@organiser_login_required("programme.edit")
def edit_session(event: str, session_id: int):
    found = load_event(event)
    programme_session = _draft_session(found, session_id)
    if request.method == "GET":
        return _render_session_form(
            found, _session_form_values(programme_session, found), {}, programme_session
        )
    values, errors = parse_session_form(request.form, found, SESSION_CHANGE)
    if not errors:
        try:
            draft.update_session(db_session(), programme_session, values)
        except DomainError as error:
            errors = field_errors(error.errors, form_field) or {"_form": [translate(error.message)]}
        else:
            flash(
                _(
                    "Saved in the draft. Publish to make it public: “%(title)s”.",
                    title=programme_session.title,
                ),
                "success",
            )
            return redirect(url_for(".dashboard", event=event), 303)
    return _render_session_form(found, _typed(request.form), errors, programme_session, status=422)


# -- stages -------------------------------------------------------------------------------------


def parse_stage_form(form, schema: Schema) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The stage form as `create_stage`/`update_stage` values, loaded by the `schema` of the
    API operation that does the same, or errors by form field."""
    return load_form(
        schema,
        {
            "name": _text(form, "name"),
            "address": _text(form, "address"),
            "capacity": _text(form, "capacity") or None,
            "stream_url": _text(form, "stream_url"),
        },
    )


@pages.route("/<event>/organiser/stages", methods=["GET", "POST"])
@organiser_login_required("programme.edit")
def stages(event: str):
    found = load_event(event)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values, errors = parse_stage_form(request.form, NEW_STAGE)
        if not errors:
            try:
                stage = draft.create_stage(db_session(), found, values)
            except DomainError as error:
                errors = field_errors(error.errors, form_field) or {
                    "name": [translate(error.message)]
                }
            else:
                flash(_("Venue “%(name)s” added.", name=stage.name), "success")
                return redirect(url_for(".stages", event=event), 303)
        values, status = request.form.to_dict(), 422
    return render_template(
        "pages/organiser/stages.html",
        event=found,
        stages=draft.list_stages(db_session(), found),
        values=values,
        errors=errors,
        nav_current="organiser",
    ), status


@pages.route("/<event>/organiser/stages/<guid>", methods=["GET", "POST"])
@organiser_login_required("programme.edit")
def edit_stage(event: str, guid: str):
    found = load_event(event)
    stage = draft.find_stage(db_session(), found, guid)
    if stage is None:
        abort(404, _("There is no such stage."))
    values = {
        "name": stage.name,
        "address": stage.address,
        "capacity": "" if stage.capacity is None else str(stage.capacity),
        "stream_url": stage.stream_url,
    }
    errors, status = {}, 200
    if request.method == "POST":
        changes, errors = parse_stage_form(request.form, STAGE_CHANGE)
        if not errors:
            try:
                draft.update_stage(db_session(), stage, changes)
            except DomainError as error:
                errors = field_errors(error.errors, form_field) or {
                    "name": [translate(error.message)]
                }
            else:
                flash(_("Venue “%(name)s” saved.", name=stage.name), "success")
                return redirect(url_for(".stages", event=event), 303)
        values, status = request.form.to_dict(), 422
    return render_template(
        "pages/organiser/stage_form.html",
        event=found,
        stage=stage,
        values=values,
        errors=errors,
        nav_current="organiser",
    ), status


# -- publishing ---------------------------------------------------------------------------------


@pages.route("/<event>/organiser/publish", methods=["GET", "POST"])
@organiser_login_required("programme.publish")
def publish(event: str):
    if request.method == "POST":
        found = load_event(event)
        comment = request.form.get("comment", "").strip()[:2000]
        try:
            release = publish_release(db_session(), found, comment)
        except DomainError as error:
            flash(translate(error.message), "error")
        else:
            flash(_("Release %(number)s is published.", number=release.number), "success")
        return redirect(url_for(".dashboard", event=event), 303)
    found = load_event(event)
    changes, changed = preview(found)
    return render_template(
        "pages/organiser/publish.html",
        event=found,
        changes=changes,
        changed=changed,
        first=latest_release(db_session(), found) is None,
        nav_current="organiser",
    )


# -- live control -------------------------------------------------------------------------------


@pages.get("/<event>/organiser/live")
@organiser_login_required("live.control")
def live_control(event: str):
    found = load_event(event)
    overview = live_overview(db_session(), found)
    return render_template(
        "pages/organiser/live.html",
        event=found,
        overview=overview,
        other_day=lambda slot: (
            day_label(date.fromisoformat(slot["starts_at"][:10]))
            if slot["starts_at"][:10] != overview["at"][:10]
            else ""
        ),
        delays=DELAY_CHOICES,
        nav_current="organiser",
    )


@pages.post("/<event>/organiser/live/sessions/<int:session_id>")
@organiser_login_required("live.control")
def set_session_live(event: str, session_id: int):
    found = load_event(event)
    programme_session = _draft_session(found, session_id)
    status = request.form.get("status", "")
    if status not in ("on_air", "ended", "scheduled"):
        abort(400, _("Unknown live status."))
    try:
        set_live_status(db_session(), found, programme_session, status)
    except DomainError as error:
        flash(translate(error.message), "error")
    return redirect(url_for(".live_control", event=event), 303)


@pages.post("/<event>/organiser/live/stages/<guid>/delay")
@organiser_login_required("live.control")
def delay_stage(event: str, guid: str):
    found = load_event(event)
    stage = draft.find_stage(db_session(), found, guid)
    if stage is None:
        abort(404, _("There is no such stage."))
    try:
        minutes = int(request.form.get("minutes", ""))
    except ValueError:
        minutes = 0
    if minutes not in DELAY_CHOICES:
        abort(400, _("Unknown delay."))
    try:
        release, moved = announce_delay(db_session(), found, stage, minutes)
    except DomainError as error:
        messages = field_errors(error.errors, form_field).values() if error.errors else []
        flash(" ".join([translate(error.message), *(m for ms in messages for m in ms)]), "error")
    else:
        flash(
            _(
                "%(stage)s: %(count)s sessions moved by %(minutes)s minutes; release %(number)s is published.",
                stage=stage.name,
                count=len(moved),
                minutes=minutes,
                number=release.number,
            ),
            "success",
        )
    return redirect(url_for(".live_control", event=event), 303)
