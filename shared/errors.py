"""Requests the domain refuses. Domain functions raise these; every service's app answers them
the same way (`shared.web.domain_error_response`): JSON `{"code", "message", "errors"}` with
`status`, or a readable page, in the request's language.

`message` and the messages in `errors` ({field: [messages]}, nested per item where a list is
checked) are `shared.i18n.N_` messages.
"""

from __future__ import annotations

from shared.i18n import N_, Message


class DomainError(Exception):
    status = 422

    def __init__(self, message: Message | str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(DomainError):
    status = 404


class NoSuchEvent(NotFound):
    """The event is not there, or not one the organiser may see: both answer the same, so an
    organiser cannot tell another organisation's events from events that do not exist."""

    def __init__(self, slug: str):
        super().__init__(N_("There is no event %(slug)r.", slug=slug), {"event": [UNKNOWN]})


class NoSuchOrganisation(NotFound):
    """As NoSuchEvent, for an organisation."""

    def __init__(self, slug: str):
        super().__init__(
            N_("There is no organisation %(slug)r.", slug=slug), {"organisation": [UNKNOWN]}
        )


class Conflict(DomainError):
    """Valid in itself, but in conflict with what is stored."""

    status = 409


class Invalid(DomainError):
    """The fields in `errors` are wrong, each with its reason."""

    def __init__(self, errors: dict, message: Message | str = N_("The input is invalid.")):
        super().__init__(message, errors)


class NothingChanged(Conflict):
    """Publishing would repeat release `number`."""

    def __init__(self, number: int):
        super().__init__(N_("Nothing changed since release %(number)s.", number=number))
        self.number = number


# What a field with an id or code that matches nothing says.
UNKNOWN = N_("unknown")
