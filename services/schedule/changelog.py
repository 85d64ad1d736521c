"""What changed in a session between two releases, field by field, for people to read: the
publish preview and the public changelog show the same (issue 13).

A release's changes name the fields that differ (`fields_changed`); here each becomes one line
with its old and new value as plain data (times as datetimes in the event's time zone, lists as
names), for the page to put into words in its language. Texts too long to repeat (the
descriptions) only say that they changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A line per field, in this order; fields not listed show under their own name.
FIELD_ORDER = (
    "status",
    "starts_at",
    "ends_at",
    "stage",
    "title",
    "title_en",
    "abstract",
    "abstract_en",
    "registration_mode",
    "capacity",
    "type",
    "language",
    "tracks",
    "speakers",
    "streamed",
    "livestream_url",
    "url",
)
# Shown as "changed", without the texts.
LONG_TEXTS = frozenset({"abstract", "abstract_en"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    @property
    def values_shown(self) -> bool:
        return self.field not in LONG_TEXTS


@dataclass(frozen=True)
class SessionChange:
    kind: str
    session: dict[str, Any]
    before: dict[str, Any] | None
    fields: list[FieldChange]


def _readable(info: dict[str, Any]) -> dict[str, Any]:
    """A session of a release as values to compare and show, one per line of FIELD_ORDER."""
    registration = info.get("registration") or {}
    values = {name: value for name, value in info.items() if name not in ("id", "guid")}
    values.update(
        starts_at=datetime.fromisoformat(info["starts_at"]),
        ends_at=datetime.fromisoformat(info["ends_at"]),
        stage=info["stage"]["name"],
        tracks=[track["name"] for track in info.get("tracks", [])],
        speakers=[speaker["name"] for speaker in info.get("speakers", [])],
        registration_mode=registration.get("mode"),
        capacity=registration.get("capacity"),
    )
    values.pop("registration", None)
    return values


def field_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """Each field of the session that differs between the releases, old and new (none for a
    new session)."""
    if before is None:
        return []
    old, new = _readable(before), _readable(after)
    differing = [name for name in new if new[name] != old.get(name)]
    order = {name: position for position, name in enumerate(FIELD_ORDER)}
    differing.sort(key=lambda name: order.get(name, len(order)))
    return [FieldChange(name, old.get(name), new[name]) for name in differing]


def session_changes(
    changes: list[dict[str, Any]],
    before: dict[int, dict[str, Any]],
    after: dict[int, dict[str, Any]],
) -> list[SessionChange]:
    """A release's `changes` with each session as published (`after`) and as the release
    before showed it (`before`, by id), field by field."""
    return [
        SessionChange(
            kind=change["kind"],
            session=after[change["session"]],
            before=before.get(change["session"]),
            fields=field_changes(before.get(change["session"]), after[change["session"]]),
        )
        for change in changes
        if change["session"] in after
    ]
