"""The embeddable programme widget: a compact list of the sessions still to come, which other
sites (the organiser's own, such as todo-dortmund.de) show in an <iframe>; free seats from the
registration service as on the programme, "Reserve a seat" opening the registration form in a
new tab. `?lang=`, `?day=`, `?track=` (and `?stage=`, `?type=`) filter as the programme does.
`widget.js` tells the embedding page the widget's height; `widget-embed.js`, loaded by that
page, sets the frame's height from it. `/<event>/widget/embed` shows the code to copy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import abort, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from services.schedule.pages import pages
from services.schedule.pages.attendee import availability_url
from services.schedule.pages.programme import (
    Filters,
    day_label,
    day_of,
    filter_options,
    published_programme,
    session_view,
    starts,
)
from shared.db import utcnow
from shared.headers import allow_framing
from shared.messages.schedule import SESSION_CANCELLED
from shared.pages import LOCALES, current_language, service_url
from shared.permissions import public

# The widget is a teaser: more than this and it links to the whole programme.
WIDGET_LIMIT = 30
EXAMPLE_SITE = "https://todo-dortmund.de"


def upcoming_days(
    sessions: list[dict[str, Any]], filters: Filters, now: datetime, limit: int = WIDGET_LIMIT
) -> tuple[list[tuple[date, str, list[dict[str, Any]]]], bool]:
    """The sessions the filters keep that have not begun and are not cancelled, by day (date,
    label, sessions), the first `limit` of them; and whether there are more."""
    coming = [
        info
        for info in sessions
        if info["status"] != SESSION_CANCELLED and starts(info) > now and filters.keep(info)
    ]
    days: dict[date, list[dict[str, Any]]] = {}
    for info in coming[:limit]:
        days.setdefault(day_of(info), []).append(session_view(info, set(), now))
    return [(day, day_label(day), listed) for day, listed in sorted(days.items())], len(
        coming
    ) > limit


def _programme_or_404(slug: str) -> dict[str, Any]:
    data = published_programme(slug)
    if data is None:
        abort(404, _("There is no published programme for this event yet."))
    return data


@pages.get("/<event>/widget")
@public
@allow_framing
def widget(event: str):
    data = _programme_or_404(event)
    filters = Filters.from_args(request.args)
    days, more = upcoming_days(data["sessions"], filters, utcnow())
    lang = current_language()
    programme_args = {"lang": lang} | {
        name: value for name, value in vars(filters).items() if value
    }
    return render_template(
        "pages/widget.html",
        event=data["event"],
        days=days,
        more=more,
        filtered=filters.active,
        programme_url=service_url("schedule", f"/{event}/programme?{urlencode(programme_args)}"),
        session_url=service_url("schedule", f"/{event}/sessions/"),
        register_base=service_url("registration", f"/{event}/register"),
        availability_url=availability_url(event),
    )


def widget_address(slug: str, args: dict[str, str]) -> str:
    """The widget's absolute URL with the chosen language and filters."""
    query = urlencode({name: value for name, value in args.items() if value})
    return service_url("schedule", f"/{slug}/widget") + (f"?{query}" if query else "")


@pages.get("/<event>/widget/embed")
@public
def widget_embed(event: str):
    data = _programme_or_404(event)
    options = filter_options(data["sessions"])
    wanted = request.args.get("widget_lang") or current_language()
    chosen = {
        "lang": wanted if wanted in LOCALES else current_language(),
        "track": (request.args.get("track") or "").strip()[:100],
        "day": (request.args.get("day") or "").strip()[:100],
    }
    # Only what the programme offers goes into the code to copy.
    if chosen["track"] not in dict(options.tracks):
        chosen["track"] = ""
    if chosen["day"] not in dict(options.days):
        chosen["day"] = ""
    src = widget_address(event, chosen)
    with force_locale(chosen["lang"]):
        frame_title = _("Programme of %(event)s", event=data["event"]["title"])
    return render_template(
        "pages/widget_embed.html",
        event=data["event"],
        options=options,
        chosen=chosen,
        widget_src=src,
        frame_title=frame_title,
        embed_script=service_url("schedule", url_for(".static", filename="widget-embed.js")),
        example_site=EXAMPLE_SITE,
        nav_current="programme",
    )
