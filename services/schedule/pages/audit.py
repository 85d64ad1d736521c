"""The event's audit log for its owners: who did what, when, newest first; the schedule
service's entries and registration's in one table, each described in the reader's language."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from services.schedule import draft
from services.schedule.audit import LOG_LIMIT, audit_log
from services.schedule.models import AuditEntry
from services.schedule.pages import pages
from services.schedule.pages.organiser import REGISTRATION_MODES, load_event
from shared import audit
from shared.pages.organisers import organiser_login_required
from shared.web import db_session

ACTIONS = {
    audit.PUBLISHED: lazy_gettext("Programme published"),
    audit.SESSION_CHANGED: lazy_gettext("Session changed"),
    audit.LIVE_DELAYED: lazy_gettext("Delay announced"),
    audit.LIVE_STATUS_CHANGED: lazy_gettext("Live mark set"),
    audit.ATTENDEES_EXPORTED: lazy_gettext("Attendees exported (CSV)"),
    audit.TICKETS_LISTED: lazy_gettext("Attendee list viewed"),
    audit.CHECKED_IN: lazy_gettext("Ticket checked in"),
    audit.SETTINGS_CHANGED: lazy_gettext("Registration settings changed"),
    audit.TICKET_CANCELLED_BY_ORGANISER: lazy_gettext("Ticket cancelled for the attendee"),
    audit.TICKET_PROMOTED_BY_HAND: lazy_gettext("Seat given from the waiting list by hand"),
    audit.TICKET_WALK_IN: lazy_gettext("Walk-in at the door"),
    audit.ATTENDEE_MAIL_RESENT: lazy_gettext("Mail sent again"),
}
LIVE_MARKS = {
    "on_air": lazy_gettext("On air"),
    "ended": lazy_gettext("Ended"),
    "scheduled": lazy_gettext("Scheduled"),
}
CHANGED_FIELDS = {
    "starts_at": lazy_gettext("Starts at"),
    "ends_at": lazy_gettext("Ends at"),
    "registration": lazy_gettext("Registration"),
    "capacity": lazy_gettext("Seats"),
    "confirm_email": lazy_gettext("Seats wait for email confirmation"),
    "release_no_shows_after_minutes": lazy_gettext("Seats of no-shows released"),
}
TIME_FORMAT = "%d.%m.%Y %H:%M"


def _value(field: str, value: Any, tz: ZoneInfo) -> str:
    """An old or new value of a changed field, as the reader reads it."""
    if field in ("starts_at", "ends_at") and value:
        return datetime.fromisoformat(value).astimezone(tz).strftime(TIME_FORMAT)
    if field == "registration":
        return str(REGISTRATION_MODES.get(value, value))
    if field == "capacity":
        return _("the stage's") if value is None else str(value)
    if field == "confirm_email":
        return _("as the platform is set up") if value is None else _("yes") if value else _("no")
    if field == "release_no_shows_after_minutes":
        if value is None:
            return _("as the platform is set up")
        return _("after %(minutes)s minutes", minutes=value)
    return "–" if value is None else str(value)


def _changes(changes: dict[str, list], tz: ZoneInfo) -> str:
    return "; ".join(
        f"{CHANGED_FIELDS.get(field, field)}: {_value(field, old, tz)} → {_value(field, new, tz)}"
        for field, (old, new) in changes.items()
    )


def describe(entry: AuditEntry, tz: ZoneInfo) -> str:
    """What an entry's details say, in the reader's language (its raw JSON if the action or
    its details are not known here)."""
    details = entry.details
    try:
        if entry.action == audit.PUBLISHED:
            return ngettext(
                "Release %(release)s, %(num)d change",
                "Release %(release)s, %(num)d changes",
                details["changes"],
                release=details["release"],
            )
        if entry.action == audit.SESSION_CHANGED:
            return _(
                "Session %(session)s “%(title)s”: %(changes)s",
                session=details["session"],
                title=details["title"],
                changes=_changes(details["changes"], tz),
            )
        if entry.action == audit.LIVE_DELAYED:
            return ngettext(
                "%(stage)s: +%(minutes)s minutes, %(num)d session moved (release %(release)s)",
                "%(stage)s: +%(minutes)s minutes, %(num)d sessions moved (release %(release)s)",
                len(details["sessions"]),
                stage=details["stage_name"],
                minutes=details["minutes"],
                release=details["release"],
            )
        if entry.action == audit.LIVE_STATUS_CHANGED:
            return _(
                "Session %(session)s: %(mark)s",
                session=details["session"],
                mark=LIVE_MARKS.get(details["status"], details["status"]),
            )
        if entry.action == audit.ATTENDEES_EXPORTED:
            if details["session"] is None:
                return ngettext(
                    "All sessions: %(num)d row", "All sessions: %(num)d rows", details["count"]
                )
            return ngettext(
                "Session %(session)s: %(num)d row",
                "Session %(session)s: %(num)d rows",
                details["count"],
                session=details["session"],
            )
        if entry.action == audit.TICKETS_LISTED:
            return ngettext(
                "Session %(session)s, page %(page)s: %(num)d ticket",
                "Session %(session)s, page %(page)s: %(num)d tickets",
                details["count"],
                session=details["session"],
                page=details["page"],
            )
        if entry.action == audit.TICKET_PROMOTED_BY_HAND and details["over_capacity"]:
            return _(
                "Ticket %(ticket)s, session %(session)s, one seat beyond the capacity",
                ticket=details["ticket"],
                session=details["session"],
            )
        if entry.action == audit.ATTENDEE_MAIL_RESENT:
            if details["what"] == "manage_link":
                return _(
                    "Attendee %(attendee)s: link to manage the booking",
                    attendee=details["attendee"],
                )
            return _("Attendee %(attendee)s: confirmation", attendee=details["attendee"])
        if entry.action in (
            audit.CHECKED_IN,
            audit.TICKET_CANCELLED_BY_ORGANISER,
            audit.TICKET_PROMOTED_BY_HAND,
            audit.TICKET_WALK_IN,
        ):
            return _(
                "Ticket %(ticket)s, session %(session)s",
                ticket=details["ticket"],
                session=details["session"],
            )
        if entry.action == audit.SETTINGS_CHANGED:
            return _changes(details["changes"], tz)
    except (KeyError, TypeError, ValueError):
        pass
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


@pages.get("/<event>/organiser/audit")
@organiser_login_required("audit.read")
def audit_page(event: str):
    found = load_event(event)
    tz = draft.event_timezone(found)
    entries = audit_log(db_session(), found)
    return render_template(
        "pages/organiser/audit.html",
        event=found,
        rows=[
            {
                "at": entry.at.astimezone(tz),
                "actor": entry.actor,
                "action": ACTIONS.get(entry.action, entry.action),
                "details": describe(entry, tz),
            }
            for entry in entries
        ],
        limit=LOG_LIMIT,
        nav_current="organiser",
    )
