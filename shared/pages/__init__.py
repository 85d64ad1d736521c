"""What every service's HTML pages share: one layout, local assets, German/English, CSRF
protection, and the organiser's login (a signed session cookie all services read).

`create_service_app` calls `init_pages`; a service's page blueprint then only renders templates
that `{% extends "layout.html" %}` (see `shared/templates/README.md`).

The language is German unless asked otherwise: `?lang=` (remembered in a cookie), then that
cookie, then the browser's Accept-Language. Strings are gettext catalogues under
`shared/translations/` (msgids in English, a complete German catalogue).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel.dates import format_datetime
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    make_response,
    render_template,
    request,
)
from flask_babel import Babel, get_locale, get_translations, lazy_gettext
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from shared.config import Config
from shared.headers import protocol_headers
from shared.i18n import TRANSLATIONS_DIR, translated
from shared.links import contact_link, web_url_or_empty
from shared.permissions import ROLE_NAMES, ROLES, public

LOCALES = ("de", "en")
DEFAULT_LOCALE = "de"
LANG_COOKIE = "todo_lang"
# The same name, key and host-only scope on every service: browsers send a host's cookies to
# all its ports, so one login serves schedule, registration and notify.
SESSION_COOKIE = "todo_session"
SHARED_DIR = Path(__file__).resolve().parent.parent

csrf = CSRFProtect()

shared_pages = Blueprint(
    "shared_pages",
    __name__,
    template_folder=str(SHARED_DIR / "templates"),
    static_folder=str(SHARED_DIR / "static"),
    static_url_path="/static/shared",
)


@shared_pages.get("/privacy")
@public
def privacy():
    return render_template("privacy.html")


@shared_pages.get("/imprint")
@public
def imprint():
    return render_template("imprint.html")


def select_locale() -> str:
    wanted = request.args.get("lang")
    if wanted in LOCALES:
        return wanted
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LOCALES:
        return remembered
    return request.accept_languages.best_match(LOCALES, default=DEFAULT_LOCALE)


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def translate(value: Any) -> Any:
    """The domain's messages (`shared.i18n.N_`, also inside lists and dicts) in the request's
    language; other values as they are."""
    return translated(value, get_translations())


def _remember_language(response):
    if response.mimetype == "text/html":
        # The same URL answers in the language of the cookie or the browser.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    wanted = request.args.get("lang")
    if wanted in LOCALES and request.cookies.get(LANG_COOKIE) != wanted:
        response.set_cookie(
            LANG_COOKIE, wanted, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


def config() -> Config:
    return current_app.extensions["todo_config"]


def service_url(service: str, path: str = "") -> str:
    """An absolute link to another service's page (its configured base URL + path)."""
    return config().service_urls[service] + path


# Day and time on organiser pages (lists, records), on the 24-hour clock in both languages.
_LOCAL_TIME_FORMATS = {
    ("de", False): "dd.MM. HH:mm",
    ("de", True): "dd.MM.y HH:mm",
    ("en", False): "d MMM, HH:mm",
    ("en", True): "d MMM y, HH:mm",
}


def local_time(moment: datetime, year: bool = False) -> str:
    """An aware datetime, already in the event's time zone, as the page's language writes it."""
    language = current_language()
    return format_datetime(
        moment, _LOCAL_TIME_FORMATS[language, year], tzinfo=moment.tzinfo, locale=language
    )


def webcal(url: str) -> str:
    """A feed's URL as calendar apps subscribe to it (webcal:// opens the calendar app)."""
    return "webcal://" + url.split("://", 1)[-1]


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


def url_with_language(lang: str) -> str:
    """The current page in another language (other query arguments kept)."""
    args = request.args.to_dict(flat=False) | {"lang": [lang]}
    return f"{request.path}?{urlencode(args, doseq=True)}"


def localised(info: dict, field: str) -> str:
    """A programme text in the page's language: `title_en` on English pages if it is set."""
    if current_language() == "en" and info.get(f"{field}_en"):
        return info[f"{field}_en"]
    return info.get(field) or ""


def _template_context() -> dict:
    from shared.pages.organisers import current_organiser

    return {
        "lang": current_language(),
        "other_languages": [code for code in LOCALES if code != current_language()],
        "url_with_language": url_with_language,
        "service_url": service_url,
        "localised": localised,
        "current_organiser": current_organiser(),
        "csrf_field": csrf_field,
        "role_name": role_name,
        "organiser_links": organiser_links,
        "roles": ROLES,
        "this_service": current_app.extensions["todo_service"],
    }


# The organiser pages of an event, in every service's navigation the same (issue 13): service,
# path after "/{event}", label, the permission that shows the link.
ORGANISER_PAGES = (
    ("schedule", "/organiser/overview", lazy_gettext("Overview"), "events.list"),
    ("schedule", "/organiser/", lazy_gettext("Sessions"), "programme.edit"),
    ("schedule", "/organiser/stages", lazy_gettext("Venues"), "programme.edit"),
    ("schedule", "/organiser/speakers", lazy_gettext("Speakers"), "programme.edit"),
    ("schedule", "/organiser/publish", lazy_gettext("Publish"), "programme.publish"),
    ("schedule", "/organiser/live", lazy_gettext("Live control"), "live.control"),
    ("registration", "/organiser/registrations", lazy_gettext("Registrations"), "statistics.read"),
    ("registration", "/organiser/attendees", lazy_gettext("Attendees"), "attendees.read"),
    ("registration", "/organiser/check-in", lazy_gettext("Check-in"), "checkin"),
    ("registration", "/organiser/statistics", lazy_gettext("Statistics"), "statistics.read"),
    ("notify", "/organiser/messages", lazy_gettext("Messages"), "attendees.message"),
    ("notify", "/organiser/mails", lazy_gettext("Mails"), "attendees.read"),
    ("schedule", "/organiser/audit", lazy_gettext("Audit log"), "audit.read"),
)


def organiser_links(event: str) -> list[dict[str, Any]]:
    """The event's organiser pages the signed-in organiser may use: url, label, and whether it
    is the page shown (or the one it belongs to: an attendee's record to the attendees)."""
    principal = g.get("principal")
    here = current_app.extensions["todo_service"]
    links = [
        (service, f"/{event}{path}", label)
        for service, path, label, permission in ORGANISER_PAGES
        if principal is not None and principal.may(permission)
    ]
    # The longest path of this service that the page's path starts with.
    within = [
        path
        for service, path, _label in links
        if service == here
        and (request.path == path or request.path.startswith(path.rstrip("/") + "/"))
    ]
    current = max(within, key=len, default=None)
    return [
        {
            "url": service_url(service, path),
            "label": label,
            "current": path == current and service == here,
        }
        for service, path, label in links
    ]


def attention_fragment(template: str, **context: Any) -> Response:
    """What this service knows that another's organiser pages show (the event's overview, the
    draft's unpublished changes), as an HTML fragment that `organiser.js` fetches with the
    organiser's cookie: readable by the platform's own origins only, never cached."""
    response = make_response(render_template(template, **context))
    origins = {
        "{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in config().service_urls.values()
    }
    asking = request.headers.get("Origin")
    schedule = "{0.scheme}://{0.netloc}".format(urlsplit(service_url("schedule")))
    response.headers["Access-Control-Allow-Origin"] = asking if asking in origins else schedule
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Vary"] = "Origin, Cookie"
    response.headers["Cache-Control"] = "no-store"
    return response


def role_name(role: str) -> str:
    """A role of shared.permissions as the page's language calls it."""
    return translate(ROLE_NAMES[role])


def wants_html() -> bool:
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def render_message_page(status: int, title: str, message: str):
    return render_template("message.html", title=title, message=message), status


def _csrf_refused(error: CSRFError):
    return render_message_page(
        400,
        _("The form has expired"),
        _("Please go back, reload the page and send the form again."),
    )


def _error_page_or_json(json_handler):
    def handle(error: HTTPException):
        if not wants_html():
            return json_handler(error)
        status = error.code or 500
        titles = {
            404: _("Page not found"),
            403: _("Access denied"),
            405: _("Not allowed"),
            429: _("Too many attempts"),
        }
        body, status = render_message_page(
            status,
            titles.get(status, _("Something went wrong")),
            translate(error.description) or "",
        )
        return body, status, protocol_headers(error)

    return handle


def init_pages(app: Flask, config: Config, *, api_blueprints: list, json_errors) -> None:
    """Templates, assets, locale, CSRF and the shared session cookie for one service's app."""
    from shared.pages.organisers import SESSION_LIFETIME

    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # The cookie is sent only when the session changes: its expiry is the login's anyway
        # (`SESSION_LIFETIME`), and every service shares the cookie, so a refresh answered by
        # one service (the organiser pages' fragments) overwrote what another had just put in
        # it, such as the flash message of a form sent at the same moment.
        SESSION_REFRESH_EACH_REQUEST=False,
        # A token lives as long as the session: organisers keep the live control page open
        # for hours.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
    )
    Babel(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["webcal"] = webcal
    app.jinja_env.filters["web_url"] = web_url_or_empty
    app.jinja_env.filters["contact_link"] = contact_link
    csrf.init_app(app)
    # JSON APIs authenticate with Bearer tokens (or none), never with the cookie.
    for blueprint in api_blueprints:
        csrf.exempt(blueprint)
    app.register_blueprint(shared_pages)
    app.context_processor(_template_context)
    app.after_request(_remember_language)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(HTTPException, _error_page_or_json(json_errors))
