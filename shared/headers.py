"""Security headers on every response of every service, set in one place (`create_service_app`).

- `Content-Security-Policy`: scripts and styles only from our own static files; the one kind of
  inline style we need (track colours) carries the request's nonce (`csp_nonce()` in templates).
  Pages may fetch from and post forms to the three services (the programme asks registration
  for free seats and sends the chosen sessions there). Nothing may frame a page, except views
  marked with `allow_framing` (the street screen, which signage players may embed).
- `X-Content-Type-Options: nosniff`, `X-Frame-Options` for browsers without `frame-ancestors`.
- `Referrer-Policy: no-referrer` on URLs that carry a secret, `strict-origin-when-cross-origin`
  elsewhere. A URL carries a secret when its route has a variable named in `SECRET_VARIABLES`
  (`token`: manage links, e-mail confirmation, personal feeds): name such variables `token`.
- `Cache-Control: no-store` on those URLs (unless the view chose `private` caching, as the personal
  feed does for calendar apps) and on organiser pages and calls (`/organiser/` routes, the login,
  anything sent with an Authorization header) unless the view says the answer is `public`.
- `Strict-Transport-Security` when `PUBLIC_BASE_URL` is https.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException

from shared.config import Config

HSTS = "max-age=31536000"
# Route variables whose values are secrets or personal data (manage links, e-mail confirmation,
# personal feeds; the signed registration receipt names tickets and a masked address).
SECRET_VARIABLES = frozenset({"token", "receipt"})
ORGANISER_ENDPOINTS = ("login", "logout")


def csp_nonce() -> str:
    """This response's nonce for an inline <style> element (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allow_framing(view):
    """Mark a view whose pages other sites may show in a frame (nothing on them to click)."""
    view.allow_framing = True
    return view


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def service_origins(config: Config) -> str:
    urls = [*config.service_urls.values(), config.public_base_url]
    return " ".join(sorted({_origin(url) for url in urls}))


def content_security_policy(origins: str, nonce: str | None, framable: bool) -> str:
    style = "style-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            style,
            "img-src 'self'",
            f"connect-src 'self' {origins}",
            f"form-action 'self' {origins}",
            "base-uri 'none'",
            "frame-ancestors " + ("*" if framable else "'none'"),
        )
    )


def _carries_secret() -> bool:
    rule = request.url_rule
    return rule is not None and not SECRET_VARIABLES.isdisjoint(rule.arguments)


def _for_organisers() -> bool:
    rule = request.url_rule
    if "Authorization" in request.headers:
        return True
    if rule is None:
        # No route matched (a 404): an organiser's path all the same, if it looks like one.
        return "organiser" in request.path.split("/")
    return "organiser" in rule.rule.split("/") or rule.endpoint.endswith(
        tuple(f".{name}" for name in ORGANISER_ENDPOINTS)
    )


def _framable() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "allow_framing", False))


def security_headers(
    origins: str,
    https: bool,
    *,
    nonce: str | None = None,
    framable: bool = False,
    secret: bool = False,
) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(origins, nonce, framable),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer" if secret else "strict-origin-when-cross-origin",
    }
    if not framable:
        headers["X-Frame-Options"] = "DENY"
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def public_headers(config: Config) -> list[tuple[str, str]]:
    """The headers of a public response without inline styles, for answers given outside Flask
    (notify's cached feeds)."""
    https = config.public_base_url.startswith("https://")
    return list(security_headers(service_origins(config), https).items())


def _add_headers(response):
    secret = _carries_secret()
    response.headers.update(
        security_headers(
            current_app.extensions["todo_csp_origins"],
            current_app.extensions["todo_config"].public_base_url.startswith("https://"),
            nonce=g.get("csp_nonce"),
            framable=_framable(),
            secret=secret,
        )
    )
    cache = response.cache_control
    if (secret and not cache.private) or (_for_organisers() and not cache.public):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security_headers(app: Flask, config: Config) -> None:
    app.extensions["todo_csp_origins"] = service_origins(config)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_add_headers)


def protocol_headers(error: HTTPException) -> dict[str, str]:
    """The headers an error answer owes the client whatever its body: when to retry, how to
    authenticate, which methods are allowed."""
    return {
        name: value
        for name, value in error.get_headers()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }
