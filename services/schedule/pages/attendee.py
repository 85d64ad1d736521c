"""Attendee pages: the events, the programme by day with filters, a session, its .ics file (from
the notify service)."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.schedule.draft import find_event
from services.schedule.live import live_overview
from services.schedule.pages import pages
from services.schedule.pages.programme import (
    Filters,
    day_label,
    filter_options,
    find_published_session,
    map_url,
    programme_days,
    published_programme,
    session_view,
    short_day_label,
)
from services.schedule.pages.speakers import find_published_speaker, published_speakers
from services.schedule.pages.timetable import parse_day, timetable_days, timetable_grid
from services.schedule.reads import published_events_by_organisation
from shared.calendars import event_day
from shared.db import utcnow
from shared.pages import current_language, localised, service_url
from shared.permissions import public
from shared.web import db_session

pages.add_app_template_filter(map_url, "map_url")


def _programme_or_404(slug: str) -> dict:
    data = published_programme(slug)
    if data is None:
        abort(404, _("There is no published programme for this event yet."))
    return data


def live_session_ids(slug: str) -> set[int]:
    overview = live_overview(db_session(), find_event(db_session(), slug))
    if overview is None:
        return set()
    return {stage["now"]["id"] for stage in overview["stages"] if stage["now"]}


def register_url(slug: str, session_ids: list[int]) -> str:
    ids = ",".join(str(session_id) for session_id in session_ids)
    return service_url("registration", f"/{slug}/register?sessions={ids}")


def availability_url(slug: str) -> str:
    """Where the page's script asks for free seats; `{id}` stands for the session."""
    return service_url("registration", f"/api/v1/events/{slug}/sessions/{{id}}/availability")


@pages.get("/")
@public
def events():
    groups = published_events_by_organisation(db_session())
    return render_template("pages/events.html", groups=groups)


@pages.get("/<event>/")
@pages.get("/<event>/programme")
@public
def programme(event: str):
    data = _programme_or_404(event)
    filters = Filters.from_args(request.args)
    days = programme_days(data["sessions"], filters, live_session_ids(event))
    return render_template(
        "pages/programme.html",
        event=data["event"],
        release=data["release"],
        days=days,
        filters=filters,
        options=filter_options(data["sessions"]),
        register_base=service_url("registration", f"/{event}/register"),
        availability_url=availability_url(event),
        nav_current="programme",
    )


@pages.get("/<event>/sessions/<int:session_id>")
@public
def session_page(event: str, session_id: int):
    data = _programme_or_404(event)
    info = find_published_session(data, session_id)
    if info is None:
        abort(404, _("This session is not in the programme."))
    view = session_view(info, live_session_ids(event))
    return render_template(
        "pages/session.html",
        event=data["event"],
        session=view,
        register_url=register_url(event, [session_id]),
        availability_url=availability_url(event),
        feed_url=service_url("notify", f"/{event}/calendar.ics"),
        ics_url=url_for(".session_ics", event=event, session_id=session_id),
        nav_current="programme",
    )


@pages.get("/<event>/timetable")
@public
def timetable(event: str):
    data = _programme_or_404(event)
    zone = ZoneInfo(data["event"]["timezone"])
    days = timetable_days(data["sessions"], zone)
    now = utcnow()
    today = event_day(now, zone)
    asked = request.args.get("day")
    if asked is None:
        day = today if today in days else (days[0] if days else today)
    else:
        day = parse_day(asked.strip())
        if day is None or day not in days:
            abort(404, _("There are no sessions on this day."))
    grid = timetable_grid(data["sessions"], day, zone, now if day == today else None)
    live_ids = live_session_ids(event)
    return render_template(
        "pages/timetable.html",
        event=data["event"],
        grid=grid,
        day_label=day_label(day),
        days=[(other, short_day_label(other), day_label(other)) for other in days],
        blocks=[(block, session_view(block.info, live_ids, now)) for block in grid.blocks],
        availability_url=availability_url(event),
        nav_current="programme",
    )


@pages.get("/<event>/speakers")
@public
def speakers(event: str):
    data = _programme_or_404(event)
    return render_template(
        "pages/speakers.html",
        event=data["event"],
        speakers=published_speakers(data),
        nav_current="programme",
    )


@pages.get("/<event>/speakers/<guid>")
@public
def speaker_page(event: str, guid: str):
    data = _programme_or_404(event)
    speaker = find_published_speaker(data, guid)
    if speaker is None:
        abort(404, _("This person does not speak in the programme."))
    live_ids = live_session_ids(event)
    biography = {"biography": speaker.biography, "biography_en": speaker.biography_en}
    return render_template(
        "pages/speaker.html",
        event=data["event"],
        speaker=speaker,
        biography=localised(biography, "biography"),
        sessions=[session_view(info, live_ids) for info in speaker.sessions],
        nav_current="programme",
    )


@pages.get("/<event>/sessions/<int:session_id>.ics")
@public
def session_ics(event: str, session_id: int):
    """The session as a calendar file, written by the notify service as every calendar of the
    platform is (one writer: VTIMEZONE, SEQUENCE, ORGANIZER, the same UID as in the feeds)."""
    data = _programme_or_404(event)
    if find_published_session(data, session_id) is None:
        abort(404, _("This session is not in the programme."))
    query = urlencode({"lang": current_language()})
    return redirect(
        service_url("notify", f"/{event}/calendar/sessions/{session_id}.ics?{query}"), 302
    )


# Their routes are on `pages` too; imported here, where the helpers they use are defined.
from services.schedule.pages import favourites, widget  # noqa: E402, F401
