"""The one conditional GET that the schedule's exports and notify's feeds (both paths) use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.web import not_modified

ETAG = '"abc123"'
CHANGED = datetime(2024, 4, 29, 10, 0, 0, 654321, tzinfo=UTC)


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "expected"),
    [
        (None, None, False),
        (ETAG, None, True),
        (f"W/{ETAG}", None, True),
        (f'"other", {ETAG}', None, True),
        ("*", None, True),
        ('"other"', None, False),
        # If-None-Match decides alone when present, even if the date says unchanged.
        ('"other"', "Mon, 29 Apr 2024 10:00:00 GMT", False),
        ("", "Mon, 29 Apr 2024 10:00:00 GMT", True),
        # The header has whole seconds: the copy from the same second is current.
        (None, "Mon, 29 Apr 2024 10:00:00 GMT", True),
        (None, "Mon, 29 Apr 2024 09:59:59 GMT", False),
        (None, "not a date", False),
    ],
)
def test_not_modified(if_none_match, if_modified_since, expected):
    assert not_modified(ETAG, CHANGED, if_none_match, if_modified_since) is expected
