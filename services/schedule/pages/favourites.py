"""Favourites without registering ("My programme"): the stars on the programme, the grid and the
session page keep their choice in the browser (`favourites.js`, `localStorage` per event); this
page lists the chosen sessions, rendered in the browser from the public programme JSON
(`GET /api/v1/events/<event>/programme`), with a calendar of them from notify and a link that
carries them to another device (`?ids=1,2,3`)."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from services.schedule.pages import pages
from services.schedule.pages.programme import published_programme
from shared.fields import ID_MAX
from shared.pages import current_language, service_url
from shared.permissions import public

# A shared list longer than this is not a person's programme (and would make a long URL); the
# same as notify's calendar of chosen sessions takes.
MAX_SHARED = 200


def parse_ids(text: str) -> list[int] | None:
    """`"3,1,2"` -> [3, 1, 2] (duplicates dropped, order kept); None if any part is not an id
    (1..2³¹−1) or there are more than MAX_SHARED."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or len(parts) > MAX_SHARED:
        return None
    ids: list[int] = []
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 10:
            return None
        number = int(part)
        if not 1 <= number <= ID_MAX:
            return None
        if number not in ids:
            ids.append(number)
    return ids


def calendar_url_template(slug: str) -> str:
    """notify's calendar of chosen sessions in the page's language; `{ids}` stands for "1,2,3"."""
    lang = current_language()
    return service_url("notify", f"/{slug}/calendar/sessions.ics?ids={{ids}}&lang={lang}")


def session_url_template(slug: str) -> str:
    """A session's page; `{id}` stands for its id."""
    return url_for(".session_page", event=slug, session_id=1).rsplit("/", 1)[0] + "/{id}"


@pages.get("/<event>/favourites")
@public
def favourites(event: str):
    data = published_programme(event)
    if data is None:
        abort(404, _("There is no published programme for this event yet."))
    raw = request.args.get("ids")
    shared = parse_ids(raw) if raw is not None else []
    status = 200
    if shared is None:
        shared, status = [], 400
    return (
        render_template(
            "pages/favourites.html",
            event=data["event"],
            shared_ids=shared,
            link_broken=status == 400,
            programme_json_url=url_for("programme.Programme", event=event),
            session_url_template=session_url_template(event),
            calendar_url_template=calendar_url_template(event),
            nav_current="programme",
        ),
        status,
    )
