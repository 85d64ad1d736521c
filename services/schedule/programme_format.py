"""Our own programme file format (`todo-programme/1`), read by `todo import-programme`.

The frab reader (`services.schedule.frab.reading`) turns schedule.xml / schedule.json into this
same document, so the importer into the draft has one input shape. Example (abridged)::

    {
      "format": "todo-programme/1",
      "event": {"slug": "todo2024", "title": "to:DO – Dortmunds neue Arbeit",
                "timezone": "Europe/Berlin", "locale": "de",
                "starts_on": "2024-04-29", "ends_on": "2024-05-03",
                "address": "Basecamp, Kampstraße 1, 44137 Dortmund", "url": "https://…"},
      "stages": [{"guid": "…", "name": "Baseology", "address": "…", "capacity": 40,
                  "stream_url": "https://…"}],
      "tracks": [{"slug": "demografie", "name": "Demografie", "color": "#e4572e"}],
      "sessions": [{"guid": "…", "title": "…", "title_en": "…", "abstract": "…",
                    "type": "panel", "language": "de", "tracks": ["demografie"],
                    "stage": "<stage guid>", "starts_at": "2024-04-29T14:30:00+02:00",
                    "ends_at": "2024-04-29T15:30:00+02:00",
                    "speakers": [{"name": "…", "organisation": "…", "role": "…"}],
                    "streamed": true, "livestream_url": "",
                    "registration": {"mode": "required", "capacity": null, "external": null},
                    "status": "scheduled", "assumption": "time not given in the source"}]
    }

A session's `registration.capacity` of null means "the stage's capacity". `assumption` records
what the data file's author had to guess; it is not shown to attendees.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.fields import AwareDateTime, Date, Text
from shared.links import WebUrl
from shared.messages.schedule import REGISTRATION_MODES, SESSION_SCHEDULED, SESSION_STATUSES

FORMAT = "todo-programme/1"
_SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$", error="lower-case letters, digits and '-'")
_COLOR = validate.Regexp(r"^(#[0-9a-fA-F]{6})?$", error="a colour like #1a2b3c")


class EventDocument(Schema):
    slug = Text(required=True, validate=_SLUG)
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    timezone = Text(load_default="Europe/Berlin")
    locale = Text(load_default="de", validate=validate.OneOf(("de", "en")))
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    address = Text(load_default="", validate=validate.Length(max=300))
    url = WebUrl()


class StageDocument(Schema):
    guid = Text(required=True, validate=validate.Length(min=1, max=64))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    address = Text(load_default="", validate=validate.Length(max=300))
    capacity = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100_000)
    )
    stream_url = WebUrl(allow_none=True)


class TrackDocument(Schema):
    slug = Text(required=True, validate=_SLUG)
    name = Text(required=True, validate=validate.Length(min=1, max=100))
    color = Text(load_default="", validate=_COLOR)


class SpeakerDocument(Schema):
    guid = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    organisation = Text(load_default="", validate=validate.Length(max=200))
    role = Text(load_default="", validate=validate.Length(max=200))
    # Not given (or None): the importer keeps what the draft has; "" clears it.
    biography = Text(allow_none=True, validate=validate.Length(max=5_000))
    biography_en = Text(allow_none=True, validate=validate.Length(max=5_000))


class RegistrationDocument(Schema):
    mode = Text(required=True, validate=validate.OneOf(REGISTRATION_MODES))
    capacity = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100_000)
    )
    external = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))


class SessionDocument(Schema):
    guid = Text(required=True, validate=validate.Length(min=1, max=64))
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    title_en = Text(load_default="", allow_none=True, validate=validate.Length(max=300))
    abstract = Text(load_default="", allow_none=True, validate=validate.Length(max=20_000))
    abstract_en = Text(load_default="", allow_none=True, validate=validate.Length(max=20_000))
    type = Text(load_default="talk", validate=validate.Length(min=1, max=50))
    language = Text(load_default="de", validate=validate.Length(min=2, max=10))
    tracks = fields.List(Text(validate=_SLUG), load_default=list)
    stage = Text(required=True)
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    speakers = fields.List(fields.Nested(SpeakerDocument), load_default=list)
    streamed = fields.Boolean(load_default=False)
    livestream_url = WebUrl(allow_none=True)
    registration = fields.Nested(RegistrationDocument, load_default=lambda: {"mode": "none"})
    status = Text(load_default=SESSION_SCHEDULED, validate=validate.OneOf(SESSION_STATUSES))
    assumption = Text(load_default="", allow_none=True)

    @validates_schema
    def _ends_after_start(self, data, **_kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")


class ProgrammeDocument(Schema):
    format = Text(load_default=FORMAT, validate=validate.Equal(FORMAT))
    event = fields.Nested(EventDocument, required=True)
    stages = fields.List(fields.Nested(StageDocument), required=True)
    tracks = fields.List(fields.Nested(TrackDocument), load_default=list)
    sessions = fields.List(fields.Nested(SessionDocument), required=True)

    @validates_schema
    def _references_exist(self, data, **_kwargs):
        stages = {stage["guid"] for stage in data["stages"]}
        tracks = {track["slug"] for track in data["tracks"]}
        errors = {}
        for index, session in enumerate(data["sessions"]):
            problems = []
            if session["stage"] not in stages:
                problems.append(f"unknown stage {session['stage']!r}")
            problems += [f"unknown track {t!r}" for t in session["tracks"] if t not in tracks]
            if problems:
                errors[str(index)] = problems
        if errors:
            raise ValidationError(errors, "sessions")


def load_programme_document(raw: dict) -> dict:
    """Validate a programme document; raises marshmallow.ValidationError with field paths."""
    return ProgrammeDocument().load(raw)


def document_from_release(release_data: dict) -> dict:
    """A release (message data, JSON form) as a programme document, for export and re-import.

    Stages and tracks are those the release's sessions use; a session whose seat capacity is its
    stage's gets `capacity: null`, as it was entered.
    """
    stages: dict[str, dict] = {}
    tracks: dict[str, dict] = {}
    sessions = []
    for info in release_data["sessions"]:
        stage = info["stage"]
        stages.setdefault(stage["guid"], {key: stage[key] for key in StageDocument().fields})
        for track in info["tracks"]:
            tracks.setdefault(track["slug"], dict(track))
        registration = dict(info["registration"])
        if registration["mode"] == "required" and registration["capacity"] == stage["capacity"]:
            registration["capacity"] = None
        sessions.append(
            {
                "guid": info["guid"],
                "title": info["title"],
                "title_en": info["title_en"],
                "abstract": info["abstract"],
                "abstract_en": info["abstract_en"],
                "type": info["type"],
                "language": info["language"],
                "tracks": [track["slug"] for track in info["tracks"]],
                "stage": stage["guid"],
                "starts_at": info["starts_at"],
                "ends_at": info["ends_at"],
                "speakers": [dict(speaker) for speaker in info["speakers"]],
                "streamed": info["streamed"],
                "livestream_url": info["livestream_url"],
                "registration": registration,
                "status": info["status"],
            }
        )
    return {
        "format": FORMAT,
        "event": dict(release_data["event"]),
        "stages": list(stages.values()),
        "tracks": list(tracks.values()),
        "sessions": sessions,
    }
