"""The street screen of one stage: now on air, next with a countdown, later today, delays and
cancellations, and a QR code to the programme.

The page polls `…/screen/<stage>/state` for a fresh rendering of its middle part; with `?at=` it
shows another moment, and its clock runs on from there (for rehearsals and tests).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import segno
from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import select

from services.schedule.draft import event_timezone, find_event, find_stage
from services.schedule.live import live_overview
from services.schedule.models import Release, StageDelay
from services.schedule.pages import pages
from services.schedule.pages.programme import day_of, ends, published_programme, starts
from shared.calendars import event_day
from shared.fields import MOMENT_MESSAGE, computable_moment
from shared.headers import allow_framing
from shared.messages.schedule import SESSION_CANCELLED, SESSION_SCHEDULED
from shared.pages import localised
from shared.permissions import public
from shared.web import db_session

LATER_TODAY = 3
POLL_SECONDS = 5


def delays_by_session(stage_id: int) -> dict[int, int]:
    """Minutes each session of the stage was moved by announced delays (not by other edits)."""
    rows = db_session().execute(
        select(StageDelay.minutes, Release.changes_json)
        .join(Release, Release.id == StageDelay.release_id)
        .where(StageDelay.stage_id == stage_id)
    )
    delays: dict[int, int] = defaultdict(int)
    for minutes, changes_json in rows:
        for change in json.loads(changes_json):
            if change["kind"] == "moved":
                delays[change["session"]] += minutes
    return delays


def _parse_at(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        abort(400, _("The time must be given as ISO 8601 with an offset."))
    if moment.tzinfo is None:
        abort(400, _("The time must be given as ISO 8601 with an offset."))
    try:
        return computable_moment(moment)
    except ValidationError:
        abort(400, MOMENT_MESSAGE)


def _slot(info: dict[str, Any], delays: dict[int, int]) -> dict[str, Any]:
    return {
        "id": info["id"],
        "title": localised(info, "title"),
        "starts": starts(info),
        "ends": ends(info),
        "speakers": [speaker["name"] for speaker in info["speakers"]],
        "delay": delays.get(info["id"], 0),
        "cancelled": info["status"] == SESSION_CANCELLED,
    }


def screen_state(slug: str, stage_guid: str, at: datetime | None) -> dict[str, Any]:
    """What the screen shows: the stage's now/next (from the live schedule), the rest of the
    day, and today's cancelled sessions that have not ended yet."""
    # The stored release first: on SQLite, its own connection would wait for the request's
    # session, which holds the write lock from its first query on.
    data = published_programme(slug)
    if data is None:
        abort(404, _("There is no published programme for this event yet."))
    event = find_event(db_session(), slug)
    stage = find_stage(db_session(), event, stage_guid)
    if stage is None:
        abort(404, _("There is no such stage."))
    overview = live_overview(db_session(), event, at)
    moment = datetime.fromisoformat(overview["at"])
    live = next((s for s in overview["stages"] if s["stage"]["guid"] == stage_guid), None)
    delays = delays_by_session(stage.id)
    on_stage = [info for info in data["sessions"] if info["stage"]["guid"] == stage_guid]
    by_id = {info["id"]: info for info in on_stage}
    now = by_id.get(live["now"]["id"]) if live and live["now"] else None
    upcoming = by_id.get(live["next"]["id"]) if live and live["next"] else None
    shown = {info["id"] for info in (now, upcoming) if info}
    today = event_day(moment, moment.tzinfo)
    later = [
        info
        for info in on_stage
        if info["status"] == SESSION_SCHEDULED
        and info["id"] not in shown
        and starts(info) > moment
        and day_of(info) == today
        and (upcoming is None or starts(info) > starts(upcoming))
    ][:LATER_TODAY]
    cancelled = [
        info
        for info in on_stage
        if info["status"] == SESSION_CANCELLED and day_of(info) == today and ends(info) > moment
    ]
    return {
        "event": data["event"],
        "stage": {"guid": stage.guid, "name": stage.name, "address": stage.address},
        "at": moment,
        "tz": event_timezone(event),
        "now": _slot(now, delays) if now else None,
        "next": _slot(upcoming, delays) if upcoming else None,
        "later": [_slot(info, delays) for info in later],
        "cancelled": [_slot(info, delays) for info in cancelled],
    }


def programme_qr(url: str) -> Markup:
    """The programme's address as an inline SVG QR code (dark on light, scales with CSS)."""
    svg = segno.make(url, error="m").svg_inline(scale=1, dark="#000", light="#fff", omitsize=True)
    return Markup(svg)


@pages.get("/<event>/screen/<stage>")
@public
@allow_framing
def screen(event: str, stage: str):
    at = _parse_at(request.args.get("at"))
    state = screen_state(event, stage, at)
    config = current_app.extensions["todo_config"]
    programme_url = f"{config.public_base_url}/{event}/"
    state_args = {"event": event, "stage": stage}
    if request.args.get("lang"):
        state_args["lang"] = request.args["lang"]
    return render_template(
        "pages/screen.html",
        state=state,
        event=state["event"],
        requested_at=at.isoformat() if at else "",
        state_url=url_for(".screen_state_fragment", **state_args),
        programme_url=programme_url,
        qr=programme_qr(programme_url),
        poll_seconds=POLL_SECONDS,
    )


@pages.get("/<event>/screen/<stage>/state")
@public
def screen_state_fragment(event: str, stage: str):
    state = screen_state(event, stage, _parse_at(request.args.get("at")))
    response = jsonify(
        {
            "at": state["at"].isoformat(),
            "html": render_template("pages/_screen_state.html", state=state),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
