"""User-facing messages of code that has no request: an English msgid with named parameters,
translated where it is shown (a page, a JSON error, a calendar) into the reader's language.

    raise Conflict(N_("The session %(title)s is full.", title=session.title))

`N_` is the extraction keyword (see `shared/translations/README.md`); the German text is in
`shared/translations/de/LC_MESSAGES/messages.po`. A `Message` is a `str` holding the English
text, so logs, the CLI and marshmallow treat it like any string. Parameters are interpolated
after translation, so a title containing " / " or "%" is shown as it is in every language.

Plain Python on purpose: domain modules import this, never Flask or Flask-Babel.
"""

from __future__ import annotations

import functools
import re
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.support import Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


class Message(str):
    """An English message that remembers its msgid and parameters for translation."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any] | None = None) -> Message:
        params = params or {}
        message = super().__new__(cls, msgid % params if params else msgid)
        message.msgid = msgid
        message.params = params
        return message

    def __reduce__(self):
        return (Message, (self.msgid, self.params))

    def format(self, *_args: Any, **_kwargs: Any) -> Message:
        """Itself: marshmallow's validators `.format()` their `error`, a Message has its own
        parameters (`validate.Range(max=9, error=N_("At most %(max)s.", max=9))`)."""
        return self

    def translated(self, translations: NullTranslations) -> str:
        text = translations.gettext(self.msgid)
        return text % self.params if self.params else text


def N_(msgid: str, /, **params: Any) -> Message:
    """Mark `msgid` for the catalogue; the parameters are filled in after translation."""
    return Message(msgid, params)


# marshmallow's own messages (its fields' and validators' defaults), which reach the API and
# the forms as plain strings: recognised by their English text, translated like ours.
LIBRARY_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Invalid type."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid date."),
    N_("Not a valid time."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Longer than maximum length %(max)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be less than %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be one of: %(choices)s."),
    N_("String does not match expected pattern."),
)


def _pattern(message: Message) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", message.msgid)
    # re.split alternates literal text and parameter names.
    return re.compile(
        "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
            for index, part in enumerate(parts)
        )
    )


# Longest first: "at least %(min)s and at most %(max)s" before "at least %(min)s".
_LIBRARY_PATTERNS = [
    (_pattern(message), message.msgid)
    for message in sorted(LIBRARY_MESSAGES, key=lambda message: -len(message.msgid))
]


def library_message(text: str) -> Message | None:
    """marshmallow's message `text` as a catalogue message, or None if it is not one of them."""
    for pattern, msgid in _LIBRARY_PATTERNS:
        found = pattern.fullmatch(text)
        if found is not None:
            return Message(msgid, found.groupdict())
    return None


def translated(value: Any, translations: NullTranslations) -> Any:
    """`value` with every `Message` in it (also inside lists and dicts), and marshmallow's own
    messages, translated; other values as they are."""
    if isinstance(value, Message):
        return value.translated(translations)
    if isinstance(value, str):
        known = library_message(value)
        return value if known is None else known.translated(translations)
    if isinstance(value, dict):
        return {key: translated(item, translations) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [translated(item, translations) for item in value]
    return value


@functools.cache
def translations_for(locale: str) -> NullTranslations:
    """The catalogue of `locale` for code without a request (mails, calendars); English, the
    language of the msgids, has none."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")
