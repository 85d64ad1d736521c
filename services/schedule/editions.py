"""A new edition of a past event (issue 12): the same organisation, place and settings, the
same venues and tracks, a new name, slug and dates, and an empty programme.

Plain domain code on the caller's SQLAlchemy session (no Flask, never commits): the event is
created by `organisations.create_event_for`, so its owner is recorded and announced
(`schedule.event.owner_changed`) as for any new event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.schedule import draft
from services.schedule.draft import REGISTRATION_DEFAULTS
from services.schedule.models import Event
from services.schedule.organisations import create_event_for, owner
from shared.errors import Invalid, NoSuchEvent
from shared.i18n import N_
from shared.permissions import Principal

# What names and dates a new edition; everything else of the event comes from its source.
EDITION_FIELDS = ("slug", "title", "starts_on", "ends_on")
# What a new edition takes over from its source.
INHERITED_FIELDS = (
    "timezone",
    "locale",
    "address",
    "url",
    *REGISTRATION_DEFAULTS,
)


def copy_edition(
    session: Session, principal: Principal, source: Event, values: dict[str, Any]
) -> Event:
    """A new event of `source`'s organisation named and dated by `values` (`EDITION_FIELDS`),
    with `source`'s time zone, language, address, website and registration defaults, its stages (new guids) and its
    tracks (same slugs, names and colours); no sessions, speakers or attendees.

    NoSuchEvent (404) if `principal` does not see `source`; Invalid (422) naming a missing
    field or what `draft.create_event` refuses (dates, time zone); Conflict (409) if the slug
    is taken.
    """
    organisation = owner(session, source)
    if not principal.sees(source.slug, organisation):
        raise NoSuchEvent(source.slug)
    missing = [name for name in EDITION_FIELDS if values.get(name) in (None, "")]
    if missing:
        raise Invalid({name: [N_("Missing data for required field.")] for name in missing})
    inherited = {name: getattr(source, name) for name in INHERITED_FIELDS}
    edition = create_event_for(
        session,
        principal,
        inherited
        | {name: values[name] for name in EDITION_FIELDS}
        | {"organisation": organisation, "venues": values.get("venues", [])},
    )
    for stage in draft.list_stages(session, source):
        draft.create_stage(
            session,
            edition,
            {
                "name": stage.name,
                "address": stage.address,
                "capacity": stage.capacity,
                "stream_url": stage.stream_url,
            },
        )
    for track in draft.list_tracks(session, source):
        draft.create_track(
            session, edition, {"slug": track.slug, "name": track.name, "color": track.color}
        )
    return edition
