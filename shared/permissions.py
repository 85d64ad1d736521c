"""Who may do what: the permissions, named after what organisers do, the roles of issue 12 and
the one table between them.

Every route of every service declares what it needs, once, where it is defined, as the first
decorator after the route's own:

- an organiser API operation: `@organiser("programme.publish")` (`shared.auth`);
- an organiser page: `@organiser_login_required("attendees.read")` (`shared.pages.organisers`);
- anything else (attendee pages, the public API, feeds, health): `@public`.

The declaration is recorded on the view (`route_permissions` reads it back from an app), the
API's is also in the OpenAPI document (`x-permission`), and the organiser decorators ask
`require` before the view runs, with the organisation that owns the URL's event
(`shared.organisations`). A token or account without an organisation is a platform
administrator, who may do everything; a member sees only its organisation's events (or some of
them), and may do there what its role grants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.exceptions import Forbidden

from shared.errors import NoSuchEvent, NoSuchOrganisation
from shared.i18n import N_

if TYPE_CHECKING:
    from flask import Flask

PERMISSIONS = frozenset(
    {
        # The organiser's start page: the events the member works on, with what its role offers.
        "events.list",
        # Create an event (edition) of the organisation.
        "events.create",
        # The organisation's members (accounts) and API tokens: add, change, remove, revoke.
        "members.manage",
        # Read and change the draft: the event's details, stages, tracks, speakers, sessions.
        "programme.edit",
        # Publish the draft as the next release.
        "programme.publish",
        # Run the livestream: on-air marks, delays (a delay publishes a release at once).
        "live.control",
        # Counts per session: capacity, registrations, waiting lists, check-ins.
        "statistics.read",
        # Personal data: attendee and waiting lists, check-ins, their CSV export, the mails sent
        # to an attendee.
        "attendees.read",
        # Act for an attendee: cancel a ticket on their behalf, promote from the waiting list by
        # hand, resend the confirmation or the manage link.
        "attendees.manage",
        # Write to the attendees of a session or of the whole event.
        "attendees.message",
        # The event's registration settings: email confirmation, no-show release.
        "registration.settings",
        # Check a ticket in at the door (shows that ticket's name and session, nothing more).
        "checkin",
        # The event's audit log: who published, changed times or capacity, listed or exported
        # attendees, checked in, changed settings, and when. The owner's alone: it shows every
        # member's work.
        "audit.read",
    }
)

# The roles of a membership (issue 12), optionally limited to some of the organisation's events.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # Everything of the organisation, including its members and tokens.
    "owner": PERMISSIONS,
    # Draft, publish, live control.
    "programme": frozenset({"events.list", "programme.edit", "programme.publish", "live.control"}),
    # Attendee lists and exports, acting for attendees and writing to them, registration
    # settings; the counts the lists add up to.
    "registrations": frozenset(
        {
            "events.list",
            "attendees.read",
            "attendees.manage",
            "attendees.message",
            "registration.settings",
            "statistics.read",
        }
    ),
    # Check-in (and walk-ins, who are checked in at once) only: no lists, no exports.
    "door": frozenset({"events.list", "checkin"}),
    # Counts and statistics, no personal data.
    "viewer": frozenset({"events.list", "statistics.read"}),
}

ROLES = tuple(ROLE_PERMISSIONS)
# What pages and mails call the roles.
ROLE_NAMES = {
    "owner": N_("Owner"),
    "programme": N_("Programme"),
    "registrations": N_("Registrations"),
    "door": N_("At the door"),
    "viewer": N_("Viewer"),
}
# The permissions about no one event: their routes name none (or the organisation).
ABOUT_NO_EVENT = frozenset({"events.create", "events.list", "members.manage"})
# What only a member of the whole organisation may do, not one limited to some of its events.
WHOLE_ORGANISATION = frozenset({"events.create", "members.manage"})

# What a route that anyone may use declares instead of a permission.
PUBLIC = "public"
# Where the OpenAPI document names an organiser operation's permission.
PERMISSION_EXTENSION = "x-permission"
# The attribute of a view that holds its declaration.
_DECLARATION = "required_permission"


@dataclass(frozen=True)
class Principal:
    """Who calls an organiser route: a token's or an account's name and its membership. Without
    an organisation a platform administrator (the instance operator), who may do everything;
    otherwise a member of `organisation` in `role`, on all its events or only on `events`."""

    name: str
    organisation: str | None = None
    role: str | None = None
    events: tuple[str, ...] = ()

    @property
    def administrator(self) -> bool:
        return self.organisation is None

    def sees(self, event: str, owner: str | None) -> bool:
        """Whether `event`, owned by the organisation `owner` (None: by none), is one of ours."""
        if self.administrator:
            return True
        return owner == self.organisation and (not self.events or event in self.events)

    def member_of(self, organisation: str) -> bool:
        return self.administrator or organisation == self.organisation

    def may(self, permission: str) -> bool:
        return self.administrator or permission in ROLE_PERMISSIONS.get(self.role or "", ())


def known_permission(permission: str) -> str:
    """`permission` if the table has it; a ValueError when a route names one it lacks, so a
    typo fails at import, not at the first request."""
    if permission not in PERMISSIONS:
        raise ValueError(
            f"unknown permission {permission!r}; one of {', '.join(sorted(PERMISSIONS))}"
        )
    return permission


def allowed(
    principal: Principal,
    permission: str,
    event: str | None,
    owner: str | None,
    organisation: str | None = None,
) -> bool:
    """Whether `principal` may do `permission` on `event`, owned by `owner`, or on the
    `organisation` a route names (event None: a permission about no one event)."""
    known_permission(permission)
    if organisation is not None and not principal.member_of(organisation):
        return False
    if event is None:
        # A member limited to some events creates none and manages no one.
        return principal.may(permission) and not (
            permission in WHOLE_ORGANISATION and principal.events
        )
    return principal.sees(event, owner) and principal.may(permission)


def require(
    principal: Principal,
    permission: str,
    event: str | None,
    owner: str | None,
    organisation: str | None = None,
) -> None:
    """Nothing if `allowed`; NoSuchEvent or NoSuchOrganisation (404) for an event or an
    organisation that is not the principal's, as for one that does not exist; Forbidden (403)
    for a permission the role lacks."""
    if allowed(principal, permission, event, owner, organisation):
        return
    if organisation is not None and not principal.member_of(organisation):
        raise NoSuchOrganisation(organisation)
    if event is not None and not principal.sees(event, owner):
        raise NoSuchEvent(event)
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
