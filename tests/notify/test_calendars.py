"""A calendar entry's description is in the subscriber's language, from the catalogue."""

from __future__ import annotations

import pytest

from services.notify.calendars import session_description
from services.notify.models import ProgrammeSession


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "Über Arbeit\n\nMit: Ana / Bo (100 % Team)\n\nLivestream: https://s.example/1"),
        ("en", "About work\n\nWith: Ana / Bo (100 % Team)\n\nLivestream: https://s.example/1"),
    ],
)
def test_the_description_is_in_the_subscribers_language(locale, expected):
    session = ProgrammeSession(
        abstract="Über Arbeit",
        abstract_en="About work",
        speakers=[{"name": "Ana / Bo", "organisation": "100 % Team"}],
        livestream_url="https://s.example/1",
    )
    assert session_description(session, locale) == expected
