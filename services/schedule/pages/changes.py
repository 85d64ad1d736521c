"""Changes between releases in words (issue 13): each changed field of a session with its old
and new value in the page's language, the same in the organisers' publish preview and in the
public changelog of every release (`/{event}/changelog`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, render_template
from flask_babel import format_datetime, lazy_gettext
from flask_babel import gettext as _

from services.schedule.changelog import FieldChange
from services.schedule.draft import find_event
from services.schedule.pages import pages
from services.schedule.pages.organiser import CHANGE_KINDS, REGISTRATION_MODES
from services.schedule.pages.programme import SESSION_TYPES
from services.schedule.releases import list_releases, release_changes
from shared.messages.schedule import SESSION_CANCELLED
from shared.pages import current_language
from shared.permissions import public
from shared.web import db_session

FIELD_LABELS = {
    "status": lazy_gettext("Status"),
    "starts_at": lazy_gettext("Start"),
    "ends_at": lazy_gettext("End"),
    "stage": lazy_gettext("Venue"),
    "title": lazy_gettext("Title"),
    "title_en": lazy_gettext("Title (English)"),
    "abstract": lazy_gettext("Description"),
    "abstract_en": lazy_gettext("Description (English)"),
    "registration_mode": lazy_gettext("Registration"),
    "capacity": lazy_gettext("Seats"),
    "type": lazy_gettext("Format"),
    "language": lazy_gettext("Language"),
    "tracks": lazy_gettext("Tracks"),
    "speakers": lazy_gettext("Speakers"),
    "streamed": lazy_gettext("Livestream"),
    "livestream_url": lazy_gettext("Livestream link"),
    "url": lazy_gettext("Link"),
}
LANGUAGE_NAMES = {"de": lazy_gettext("German"), "en": lazy_gettext("English")}
# A time in the page's language, in the event's time zone (as the release writes it).
_TIME_FORMATS = {"de": "EEE d. MMM y, HH:mm", "en": "EEE d MMM y, HH:mm"}


def field_label(change: FieldChange) -> str:
    return str(FIELD_LABELS.get(change.field, change.field))


def field_value(field: str, value: Any) -> str:
    """A field's value as a reader sees it ("–" for none)."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, datetime):
        # Releases write times in the event's zone: shown as they are, not converted.
        return format_datetime(
            value.replace(tzinfo=None), _TIME_FORMATS[current_language()], rebase=False
        )
    if field == "status":
        return _("cancelled") if value == SESSION_CANCELLED else _("scheduled")
    if field == "registration_mode":
        return str(REGISTRATION_MODES.get(value, value))
    if field == "type":
        return str(SESSION_TYPES.get(value, value))
    if field == "language":
        return str(LANGUAGE_NAMES.get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


@pages.context_processor
def _changes_in_words():
    return {
        "field_label": field_label,
        "field_value": field_value,
        "change_kinds": CHANGE_KINDS,
    }


@pages.get("/<event>/changelog")
@public
def changelog(event: str):
    """Every release of the event, newest first, each with its changes field by field."""
    found = find_event(db_session(), event)
    releases = list_releases(db_session(), found)
    if not releases:
        abort(404, _("Nothing has been published yet."))
    data = {release.number: release.data for release in releases}
    entries = [
        {
            "release": release,
            "changes": (
                release_changes(data[release.number - 1]["sessions"], data[release.number])
                if release.number - 1 in data
                else []
            ),
        }
        for release in releases
    ]
    return render_template(
        "pages/changelog.html",
        event=data[releases[0].number]["event"],
        entries=entries,
        nav_current="programme",
    )
