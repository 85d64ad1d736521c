"""Web addresses that organisers and imported files give us (livestreams, stages, events,
registration with the host), which end up as links on pages, in mails, feeds and exports.

Only `http://` and `https://` addresses with a host are links: anything else (`javascript:`,
`data:`, `vbscript:`, schemeless text) would run script or mislead when clicked. Credentials in
the address would be published to everyone. `WebUrl` is the one marshmallow field every schema
with such an address uses; `link_problem` is the same check for code without marshmallow, and
`web_url_or_empty` is what renderers use on stored data (written before the check existed).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from marshmallow import ValidationError, validate

from shared.fields import Text
from shared.i18n import N_, Message

MAX_URL_LENGTH = 500
_SCHEMES = ("http", "https")
# Browsers drop or reinterpret these, so what is checked would not be what is followed (lone
# surrogates cannot even be stored).
_INVISIBLE = re.compile(
    r"[\s\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\ud800-\udfff]"
)

TOO_LONG = N_("At most %(max)s characters.", max=MAX_URL_LENGTH)
INVISIBLE = N_("The address must not contain spaces or control characters.")
SCHEME = N_("Only http:// or https:// addresses are allowed.")
INVALID = N_("This is not a valid address.")
NO_HOST = N_("The address has no host name.")
CREDENTIALS = N_("The address must not contain a user name or password.")


def link_problem(value: str) -> Message | None:
    """Why `value` may not be published as a link, or None if it may."""
    if len(value) > MAX_URL_LENGTH:
        return TOO_LONG
    if _INVISIBLE.search(value):
        return INVISIBLE
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return INVALID
    if parts.scheme.lower() not in _SCHEMES:
        return SCHEME
    if not parts.hostname:
        return NO_HOST
    if parts.username is not None or parts.password is not None:
        return CREDENTIALS
    return None


def is_web_url(value: object) -> bool:
    return isinstance(value, str) and bool(value) and link_problem(value) is None


def web_url_or_empty(value: object) -> str:
    """`value` if it may be shown as a link, else "" (the link is left out)."""
    return value if is_web_url(value) else ""


def contact_link(value: object) -> str:
    """A "register with the host" target (a web or email address) as a link, else ""."""
    if not isinstance(value, str):
        return ""
    address = value.removeprefix("mailto:")
    if "@" in address and not _INVISIBLE.search(address) and not set(":/?#") & set(address):
        return f"mailto:{address}"
    return web_url_or_empty(value)


def link_errors(values: dict, names: tuple[str, ...]) -> dict[str, list[str]]:
    """Field errors for the named address fields of `values` (empty or missing: no link)."""
    errors = {}
    for name in names:
        value = values.get(name)
        if value:
            problem = link_problem(value)
            if problem:
                errors[name] = [problem]
    return errors


class WebUrl(Text):
    """An optional http(s) address: "" (or None where allowed) means no link."""

    def __init__(self, **kwargs):
        kwargs.setdefault("load_default", "")
        kwargs.setdefault("validate", validate.Length(max=MAX_URL_LENGTH, error=TOO_LONG))
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("description", "http:// or https:// address; empty: none")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text:
            problem = link_problem(text)
            if problem:
                raise ValidationError(problem)
        return text
