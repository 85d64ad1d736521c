"""Who may do what: the permissions, named after what organisers do, the roles of issue 12 and
the one table between them.

Every route of every service declares what it needs, once, where it is defined, as the first
decorator after the route's own:

- an organiser API operation: `@organiser("programme.publish")` (`shared.auth`);
- an organiser page: `@organiser_login_required("attendees.read")` (`shared.pages.organisers`);
- anything else (attendee pages, the public API, feeds, health): `@public`.

The declaration is recorded on the view (`route_permissions` reads it back from an app), the
API's is also in the OpenAPI document (`x-permission`), and the organiser decorators ask
`allowed` before the view runs. Until memberships are stored, every token and every account
has no organisation: a platform administrator, who may do everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.exceptions import Forbidden

from shared.i18n import N_

if TYPE_CHECKING:
    from flask import Flask

PERMISSIONS = frozenset(
    {
        # Create an event (edition) of the organisation; the one permission about no event.
        "events.create",
        # Read and change the draft: the event's details, stages, tracks, speakers, sessions.
        "programme.edit",
        # Publish the draft as the next release.
        "programme.publish",
        # Run the livestream: on-air marks, delays (a delay publishes a release at once).
        "live.control",
        # Counts per session: capacity, registrations, waiting lists, check-ins.
        "statistics.read",
        # Personal data: attendee and waiting lists, check-ins, their CSV export.
        "attendees.read",
        # The event's registration settings: email confirmation, no-show release.
        "registration.settings",
        # Check a ticket in at the door (shows that ticket's name and session, nothing more).
        "checkin",
    }
)

# The roles of a membership (issue 12), optionally limited to some of the organisation's events.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # Everything of the organisation.
    "owner": PERMISSIONS,
    # Draft, publish, live control.
    "programme": frozenset({"programme.edit", "programme.publish", "live.control"}),
    # Attendee lists and exports, registration settings; the counts the lists add up to.
    "registrations": frozenset({"attendees.read", "registration.settings", "statistics.read"}),
    # Check-in only: no lists, no exports.
    "door": frozenset({"checkin"}),
    # Counts and statistics, no personal data.
    "viewer": frozenset({"statistics.read"}),
}

# What a route that anyone may use declares instead of a permission.
PUBLIC = "public"
# Where the OpenAPI document names an organiser operation's permission.
PERMISSION_EXTENSION = "x-permission"
# The attribute of a view that holds its declaration.
_DECLARATION = "required_permission"


@dataclass(frozen=True)
class Principal:
    """Who calls an organiser route: a token's or an account's name, and its organisation;
    without one (every token and account until memberships are stored) a platform
    administrator."""

    name: str
    organisation: str | None = None


def known_permission(permission: str) -> str:
    """`permission` if the table has it; a ValueError when a route names one it lacks, so a
    typo fails at import, not at the first request."""
    if permission not in PERMISSIONS:
        raise ValueError(
            f"unknown permission {permission!r}; one of {', '.join(sorted(PERMISSIONS))}"
        )
    return permission


def allowed(principal: Principal, permission: str, event: str | None) -> bool:
    """Whether `principal` may do `permission` on `event` (None for "events.create")."""
    known_permission(permission)
    # A platform administrator has no organisation and may do everything. Memberships (role,
    # events) are not stored yet, so anyone else is refused rather than guessed about.
    return principal.organisation is None


def require(principal: Principal, permission: str, event: str | None) -> None:
    """Forbidden (403) unless `allowed`."""
    if not allowed(principal, permission, event):
        raise Forbidden(
            N_(
                "Your role does not allow this (it needs the permission %(permission)s).",
                permission=permission,
            )
        )


def declare(view: Callable, permission: str) -> Callable:
    """Records on `view` what its route needs: a permission or PUBLIC. A view declares once;
    `functools.wraps` carries an inner declaration outwards, so a second one is found here."""
    if hasattr(view, _DECLARATION):
        raise ValueError(f"{view.__qualname__} declares {getattr(view, _DECLARATION)!r} already")
    if permission != PUBLIC:
        known_permission(permission)
    setattr(view, _DECLARATION, permission)
    return view


def public(view: Callable) -> Callable:
    """Declares a route that anyone may use, without organiser token or login."""
    return declare(view, PUBLIC)


def route_permissions(app: Flask) -> dict[tuple[str, str], str | None]:
    """(endpoint, method) -> what the app's route declares: a permission, PUBLIC, or None where
    it declares nothing. A MethodView declares per method; HEAD and OPTIONS are answered by
    GET and by Flask. Static files (the `static` endpoint of the app and of each blueprint)
    are public by this one rule."""
    declared: dict[tuple[str, str], str | None] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        static = rule.endpoint.rsplit(".", 1)[-1] == "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower()) if view_class is not None else view
            declared[(rule.endpoint, method)] = (
                PUBLIC if static else getattr(handler, _DECLARATION, None)
            )
    return declared
