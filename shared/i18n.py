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


def translated(value: Any, translations: NullTranslations) -> Any:
    """`value` with every `Message` in it (also inside lists and dicts) translated; other
    values as they are."""
    if isinstance(value, Message):
        return value.translated(translations)
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
