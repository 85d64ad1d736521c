"""What every service's Flask app has: JSON errors, one transaction per request, health checks,
correlation ids and the OpenAPI document at `/api/v1/openapi.json`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import marshmallow as ma
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask_smorest import Api
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, Conflict, HTTPException, ServiceUnavailable
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.http import http_date, parse_date
from werkzeug.middleware.proxy_fix import ProxyFix

from shared.broker import broker_reachable
from shared.config import Config
from shared.db import DATABASE_UNAVAILABLE, Database
from shared.errors import DomainError, NotFound
from shared.fields import IdConverter
from shared.headers import init_security_headers, protocol_headers
from shared.i18n import N_
from shared.logging import correlation_id, new_correlation_id
from shared.pages import init_pages, render_message_page, translate, wants_html
from shared.permissions import PERMISSION_EXTENSION, public

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
NUL_MESSAGE = N_("The request contains characters or values that cannot be stored.")
INVALID_INPUT = N_("The input is invalid.")
_ARGUMENT_LOCATIONS = ("json", "query", "form", "headers", "path", "files", "cookies")


def error_body(status: int, message: str | None = None, errors: dict | None = None) -> dict:
    return {
        "code": status,
        "message": message or HTTPStatus(status).phrase,
        "errors": errors or {},
    }


def field_errors(
    messages: Any, field_name: Callable[[tuple[str, ...]], str] | None = None
) -> dict[str, Any]:
    """Schema (marshmallow, webargs) or domain errors as {field: [messages]}, in the request's
    language.

    webargs' locations ({"json": {...}}) are unwrapped. The errors of a nested field
    ({"sessions": {"12": [...]}}) stay nested for JSON answers; a page passes `field_name`,
    which names the form field that shows the messages at a path such as ("sessions", "12").
    """
    if not isinstance(messages, dict):
        messages = {"_request": messages}
    fields: dict[str, Any] = {}
    for key, value in messages.items():
        if key in _ARGUMENT_LOCATIONS and isinstance(value, dict):
            fields.update(value)
        else:
            fields[key] = value
    if field_name is None:
        return {key: _listed(translate(value)) for key, value in fields.items()}
    flat: dict[str, list] = {}
    for path, problems in _error_leaves(fields, ()):
        flat.setdefault(field_name(path), []).extend(translate(problems))
    return flat


def _listed(problems: Any) -> Any:
    return problems if isinstance(problems, (list, dict)) else [problems]


def _error_leaves(messages: dict, path: tuple[str, ...]):
    for key, value in messages.items():
        if isinstance(value, dict):
            yield from _error_leaves(value, (*path, str(key)))
        else:
            yield (*path, str(key)), _listed(value)


class ErrorSchema(ma.Schema):
    code = ma.fields.Integer(metadata={"description": "HTTP status code"})
    message = ma.fields.String(
        metadata={"description": "what went wrong, in the request's language"}
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "field name -> list of messages"}
    )


class JsonErrorApi(Api):
    """flask-smorest's Api with errors shaped `{"code", "message", "errors": {field: [...]}}`."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        return http_error_response(error)

    @public
    def _openapi_json(self):
        """The OpenAPI document (flask-smorest's own route), declared public like any other."""
        return super()._openapi_json()


def http_error_response(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = field_errors(data["messages"]) if "messages" in data else data.get("errors")
    message = data.get("message") or error.description
    if status == 422 and errors:
        message = INVALID_INPUT
    response = jsonify(error_body(status, translate(message), translate(errors)))
    response.status_code = status
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    response.headers.update(protocol_headers(error))
    return response


class ServiceFlask(Flask):
    """Commits the request's transaction in one place: after the view, before the response."""

    def dispatch_request(self):
        response = self.make_response(super().dispatch_request())
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            except IntegrityError as exc:
                session.rollback()
                log.info("commit conflicted: %s", exc.orig)
                raise Conflict(N_("The change conflicts with stored data.")) from exc
            finally:
                session.close()
        return response


def db_session() -> Session:
    """The request's session; committed if the view succeeds, rolled back otherwise."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["todo_db"].session()
    return g.db_session


def _close_session(_exc):
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def _start_request():
    incoming = request.headers.get(CORRELATION_HEADER, "")
    g.correlation_id = incoming if _CORRELATION_RE.match(incoming) else new_correlation_id()
    g.correlation_token = correlation_id.set(g.correlation_id)
    if "\x00" in request.path or "\x00" in unquote(request.query_string.decode("latin-1")):
        raise BadRequest(NUL_MESSAGE)


def _finish_request(response):
    response.headers[CORRELATION_HEADER] = g.get("correlation_id", "")
    return response


def _reset_correlation(_exc):
    token = g.pop("correlation_token", None)
    if token is not None:
        correlation_id.reset(token)


health = Blueprint("health", __name__)


@health.get("/healthz")
@public
def healthz():
    return {"status": "alive"}


@health.get("/readyz")
@public
def readyz():
    config: Config = current_app.extensions["todo_config"]
    db: Database = current_app.extensions["todo_db"]
    checks = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = f"unreachable: {type(exc).__name__}"
    checks["broker"] = "ok" if broker_reachable(config.amqp_url) else "unreachable"
    # Every instance shares the broker, and requests do not need it (messages wait in the
    # outbox): a load balancer that took all instances out while the broker is away would turn
    # a delay of mail into an outage. The database is needed to answer at all.
    ready = checks["database"] == "ok"
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


def domain_error_response(error: DomainError):
    """A refusal of the domain: a readable page for a browser, else JSON."""
    if wants_html() and isinstance(error, NotFound):
        # The same page as any other address that leads nowhere.
        return current_app.handle_http_exception(HTTPNotFound(translate(error.message)))
    if wants_html():
        details = [m for ms in field_errors(error.errors, " ".join).values() for m in ms]
        return render_message_page(error.status, translate(error.message), " ".join(details))
    body = error_body(error.status, translate(error.message), field_errors(error.errors))
    return jsonify(body), error.status


def _unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return http_error_response(error)
    if isinstance(error, (DataError, UnicodeEncodeError)):
        # Input the database cannot store (NUL characters, lone surrogates, out-of-range
        # numbers) that no schema caught: the client's mistake, and nothing was written.
        log.info("database refused a value: %s", getattr(error, "orig", error))
        # Through the app's handler, so that a form gets a readable page, an API client JSON.
        return current_app.handle_http_exception(BadRequest(NUL_MESSAGE))
    if isinstance(error, (*DATABASE_UNAVAILABLE, PoolTimeoutError)):
        log.error("database unavailable: %s", error)
        return http_error_response(ServiceUnavailable(N_("The database is unavailable."))), {
            "Retry-After": "5"
        }
    log.exception("unhandled error")
    return jsonify(error_body(500)), 500


def create_service_app(
    name: str,
    config: Config,
    *,
    title: str,
    blueprints: list,
    page_blueprints: list | None = None,
) -> Flask:
    """The Flask app of one service with its API blueprints (flask-smorest) and pages."""
    app = ServiceFlask(f"services.{name}", root_path=None)
    if config.trusted_proxies:
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    # Before any blueprint adds its rules: every `<int:...>` is an id the database can hold.
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_content_length,
        TESTING=config.testing,
        JSON_SORT_KEYS=False,
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": f"{title} of the event-week platform"}},
    )
    app.json.sort_keys = False
    db = Database(config.database_url(name), pool_size=max(config.web_threads, 5))
    app.extensions["todo_config"] = config
    app.extensions["todo_db"] = db
    app.extensions["todo_service"] = name

    api = JsonErrorApi(app)
    api.spec.components.security_scheme(
        "organiser",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "todo create-token; each operation names the permission it needs "
            f"in {PERMISSION_EXTENSION}",
        },
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    for blueprint in page_blueprints or []:
        app.register_blueprint(blueprint)
    app.register_blueprint(health)

    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_close_session)
    app.teardown_request(_reset_correlation)
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(DomainError, domain_error_response)
    app.register_error_handler(Exception, _unexpected_error)
    init_pages(app, config, api_blueprints=blueprints, json_errors=http_error_response)
    init_security_headers(app, config)
    return app


def not_modified(
    etag: str, last_modified: datetime, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """Whether a GET may answer 304 because the client's copy is current (RFC 9110, 13.1).

    It takes the header values as strings, so that a WSGI middleware can ask without a request.
    """
    if if_none_match:
        # If-None-Match overrides If-Modified-Since and compares weakly (RFC 9110, 13.1.2).
        if if_none_match.strip() == "*":
            return True
        return etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    if if_modified_since:
        since = parse_date(if_modified_since)
        # An HTTP date has whole seconds: the copy from this very second is current.
        return since is not None and last_modified.replace(microsecond=0) <= since
    return False


def conditional_response(
    body: Callable[[], bytes],
    *,
    etag: str,
    last_modified: datetime,
    content_type: str,
    content_encoding: str | None = None,
    headers: Mapping[str, str],
) -> Response:
    """A stored representation with its validators: 304 if the client's copy is current, else
    200 with `body()` (read only then) and its content headers."""
    headers = {**headers, "ETag": etag, "Last-Modified": http_date(last_modified)}
    if not_modified(
        etag,
        last_modified,
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
    ):
        return Response(status=304, headers=headers)
    if content_encoding is not None:
        headers["Content-Encoding"] = content_encoding
    return Response(body(), headers=headers, content_type=content_type)
