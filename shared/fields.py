"""Input fields that only accept what the databases can store and the platform can compute with.

Every schema (query, path, body) and every page uses these for ids, text and times, so odd input
(a 30-digit id, a lone surrogate, a time in year 1) is refused as a 4xx naming the field, never
met as a 500 from the database driver or from date arithmetic.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields, validate
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError as NoRouteMatch

from shared.i18n import N_

# Every id column is INTEGER (PostgreSQL: 32 bits, signed); registration and notify copy
# schedule's ids into INTEGER columns too.
ID_MAX = 2**31 - 1
ID_MESSAGE = N_("Not a valid id (a whole number from 1 to %(max)s).", max=ID_MAX)

# Code points neither PostgreSQL (UTF-8 text, no NUL) nor the UTF-8 encoders on the way
# (psycopg, mail, ICS) accept: NUL and the surrogate halves, which JSON can spell as \ud800.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
STORABLE_PATTERN = r"^[^\x00\ud800-\udfff]*$"
TEXT_MESSAGE = N_("The text contains characters that cannot be stored (NUL or a lone surrogate).")

# Times are converted between the event's zone, UTC and the reader's zone, and shifted by days
# (reminders, delays, feeds): years at the ends of Python's range overflow there. No event of
# this platform lies outside these years.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
MOMENT_MESSAGE = N_("Give a time between 1900 and 2999.")


def storable_text(value: str) -> str:
    """The value unchanged, or a ValidationError if it holds NUL or a lone surrogate."""
    if _UNSTORABLE.search(value):
        raise ValidationError(TEXT_MESSAGE)
    return value


def computable_moment(value: datetime) -> datetime:
    """The value unchanged, or a ValidationError if it cannot be moved between time zones."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationError(MOMENT_MESSAGE) from exc
    if not EARLIEST <= utc <= LATEST:
        raise ValidationError(MOMENT_MESSAGE)
    return value


def computable_date(value: date) -> date:
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValidationError(MOMENT_MESSAGE)
    return value


def parse_id(raw: str | None) -> int | None:
    """An id typed into a page's query or form (`?session=`, `?page=`): None if it is no id."""
    raw = (raw or "").strip()
    # ASCII digits only ("²".isdigit() is true); ten digits at most, so int() stays cheap.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    value = int(raw)
    return value if 1 <= value <= ID_MAX else None


class Id(fields.Integer):
    """A row id (or a page number): a whole number from 1 to ID_MAX."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=ID_MAX, error=ID_MESSAGE))
        super().__init__(**kwargs)


class Text(fields.String):
    """A string the databases can store: no NUL, no lone surrogate (so the OpenAPI document says,
    unless the field's own pattern is stricter)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not any(isinstance(v, validate.Regexp) for v in self.validators):
            self.metadata = {"pattern": STORABLE_PATTERN, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        return storable_text(super()._deserialize(value, attr, data, **kwargs))


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 time with offset that can be converted to any zone (years 1900 to 2999)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return computable_moment(super()._deserialize(value, attr, data, **kwargs))


class Date(fields.Date):
    """A calendar day from 1900 to 2999."""

    def _deserialize(self, value, attr, data, **kwargs):
        return computable_date(super()._deserialize(value, attr, data, **kwargs))


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids beyond ID_MAX (or too long to convert) match no route,
    a 404, instead of reaching the database. flask-smorest documents the bounds."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(ID_MAX)):
            raise NoRouteMatch()
        return super().to_python(value)


def normalise_email(value: str) -> str:
    """Syntax check without DNS; the domain is lower-cased, and the whole address too."""
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(N_("Not a valid email address: %(reason)s", reason=str(exc))) from exc
    return checked.normalized.lower()


class EmailField(Text):
    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"format": "email"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return normalise_email(super()._deserialize(value, attr, data, **kwargs).strip())
