"""Organiser API: the draft programme's events, stages, tracks, speakers and sessions."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from services.schedule import draft, organisations
from services.schedule.api.common import (
    not_found,
    organiser,
    sees_the_draft,
)
from services.schedule.api.published import published_event, published_tracks
from services.schedule.models import Event, ProgrammeSession
from services.schedule.photo_uploads import photo_upload
from services.schedule.schemas import (
    DraftSessionChangeSchema,
    DraftSessionSchema,
    EventChangeSchema,
    EventSchema,
    NewEventSchema,
    SpeakerChangeSchema,
    SpeakerSchema,
    StageChangeSchema,
    StageSchema,
    TrackChangeSchema,
    TrackSchema,
)
from shared.i18n import N_
from shared.permissions import public
from shared.web import db_session

blp = Blueprint(
    "draft",
    __name__,
    url_prefix="/api/v1/events",
    description="Edit the draft programme (organisers)",
)


def session_payload(programme_session: ProgrammeSession, event: Event) -> dict:
    tz = draft.event_timezone(event)
    values = draft.session_values(programme_session)
    return values | {
        "id": programme_session.id,
        "starts_at": programme_session.starts_at.astimezone(tz),
        "ends_at": programme_session.ends_at.astimezone(tz),
    }


@blp.route("")
class Events(MethodView):
    @organiser("events.create")
    @blp.arguments(NewEventSchema)
    @blp.response(201, NewEventSchema)
    def post(self, body: dict):
        """Create an event (edition), owned by the caller's organisation."""
        return organisations.create_event_for(db_session(), g.principal, body)


@blp.route("/<event>")
class EventView(MethodView):
    @public
    @blp.response(200, EventSchema)
    def get(self, event: str):
        """An event's details: as published, or the draft's with a token that may edit it."""
        if sees_the_draft(event):
            return draft.find_event(db_session(), event)
        return published_event(event)

    @organiser("programme.edit")
    @blp.arguments(EventChangeSchema(partial=True))
    @blp.response(200, EventSchema)
    def patch(self, body: dict, event: str):
        """Change an event's title, dates, address…"""
        return draft.update_event(db_session(), draft.find_event(db_session(), event), body)


@blp.route("/<event>/stages")
class Stages(MethodView):
    @organiser("programme.edit")
    @blp.response(200, StageSchema(many=True))
    def get(self, event: str):
        """The draft's stages."""
        return draft.list_stages(db_session(), draft.find_event(db_session(), event))

    @organiser("programme.edit")
    @blp.arguments(StageSchema)
    @blp.response(201, StageSchema)
    def post(self, body: dict, event: str):
        """Add a stage or venue."""
        return draft.create_stage(db_session(), draft.find_event(db_session(), event), body)


def _stage(event: str, guid: str):
    found = draft.find_stage(db_session(), draft.find_event(db_session(), event), guid)
    if found is None:
        not_found(N_("Stage not found."))
    return found


@blp.route("/<event>/stages/<guid>")
class StageView(MethodView):
    @organiser("programme.edit")
    @blp.response(200, StageSchema)
    def get(self, event: str, guid: str):
        """One stage."""
        return _stage(event, guid)

    @organiser("programme.edit")
    @blp.arguments(StageChangeSchema(partial=True))
    @blp.response(200, StageSchema)
    def patch(self, body: dict, event: str, guid: str):
        """Change a stage (its guid stays)."""
        return draft.update_stage(db_session(), _stage(event, guid), body)

    @organiser("programme.edit")
    @blp.response(204)
    def delete(self, event: str, guid: str):
        """Delete a stage no session uses (409 otherwise)."""
        draft.delete_stage(db_session(), _stage(event, guid))


@blp.route("/<event>/tracks")
class Tracks(MethodView):
    @public
    @blp.response(200, TrackSchema(many=True))
    def get(self, event: str):
        """The published programme's tracks, or the draft's with a token that may edit it."""
        if sees_the_draft(event):
            return draft.list_tracks(db_session(), draft.find_event(db_session(), event))
        return published_tracks(event)

    @organiser("programme.edit")
    @blp.arguments(TrackSchema)
    @blp.response(201, TrackSchema)
    def post(self, body: dict, event: str):
        """Add a track."""
        return draft.create_track(db_session(), draft.find_event(db_session(), event), body)


def _track(event: str, slug: str):
    found = draft.find_track(db_session(), draft.find_event(db_session(), event), slug)
    if found is None:
        not_found(N_("Track not found."))
    return found


@blp.route("/<event>/tracks/<slug>")
class TrackView(MethodView):
    @organiser("programme.edit")
    @blp.arguments(TrackChangeSchema(partial=True))
    @blp.response(200, TrackSchema)
    def patch(self, body: dict, event: str, slug: str):
        """Rename or recolour a track (its slug stays)."""
        return draft.update_track(db_session(), _track(event, slug), body)

    @organiser("programme.edit")
    @blp.response(204)
    def delete(self, event: str, slug: str):
        """Delete a track; its sessions lose it."""
        draft.delete_track(db_session(), _track(event, slug))


@blp.route("/<event>/speakers")
class Speakers(MethodView):
    @organiser("programme.edit")
    @blp.response(200, SpeakerSchema(many=True))
    def get(self, event: str):
        """The draft's speakers."""
        return draft.list_speakers(db_session(), draft.find_event(db_session(), event))

    @organiser("programme.edit")
    @blp.arguments(SpeakerSchema)
    @blp.response(201, SpeakerSchema)
    def post(self, body: dict, event: str):
        """Add a speaker."""
        return draft.create_speaker(db_session(), draft.find_event(db_session(), event), body)


def _speaker(event: str, speaker_id: int):
    found = draft.find_speaker(db_session(), draft.find_event(db_session(), event), speaker_id)
    if found is None:
        not_found(N_("Speaker not found."))
    return found


@blp.route("/<event>/speakers/<int:speaker_id>")
class SpeakerView(MethodView):
    @organiser("programme.edit")
    @blp.arguments(SpeakerChangeSchema(partial=True))
    @blp.response(200, SpeakerSchema)
    def patch(self, body: dict, event: str, speaker_id: int):
        """Change a speaker."""
        return draft.update_speaker(db_session(), _speaker(event, speaker_id), body)

    @organiser("programme.edit")
    @blp.response(204)
    def delete(self, event: str, speaker_id: int):
        """Delete a speaker; the sessions lose them."""
        draft.delete_speaker(db_session(), _speaker(event, speaker_id))


# The body of PUT …/photo: the image file's bytes as they are (not a form, not JSON).
PHOTO_BODY = {
    "required": True,
    "description": "JPEG, PNG or WebP, at most 5 MB and 50 megapixels; stored as a JPEG "
    "fitted into 600×600 pixels, upright, without metadata",
    "content": {
        media_type: {"schema": {"type": "string", "format": "binary"}}
        for media_type in ("image/jpeg", "image/png", "image/webp", "application/octet-stream")
    },
}


@blp.route("/<event>/speakers/<int:speaker_id>/photo")
class SpeakerPhotoView(MethodView):
    @organiser("programme.edit")
    @blp.doc(requestBody=PHOTO_BODY)
    @blp.response(200, SpeakerSchema)
    @blp.alt_response(413, description="more than 5 MB")
    @blp.alt_response(
        422, description="not a JPEG, PNG or WebP that can be read, or too many pixels"
    )
    def put(self, event: str, speaker_id: int):
        """Give a speaker a photo (the request body is the image file)."""
        speaker = _speaker(event, speaker_id)
        return draft.set_speaker_photo(db_session(), speaker, photo_upload())

    @organiser("programme.edit")
    @blp.response(204)
    def delete(self, event: str, speaker_id: int):
        """Remove a speaker's photo (releases published with it keep it)."""
        draft.remove_speaker_photo(db_session(), _speaker(event, speaker_id))


@blp.route("/<event>/sessions")
class Sessions(MethodView):
    @organiser("programme.edit")
    @blp.response(200, DraftSessionSchema(many=True))
    def get(self, event: str):
        """The draft's sessions, in time order."""
        found = draft.find_event(db_session(), event)
        return [session_payload(p, found) for p in draft.list_sessions(db_session(), found)]

    @organiser("programme.edit")
    @blp.arguments(DraftSessionSchema)
    @blp.response(201, DraftSessionSchema)
    def post(self, body: dict, event: str):
        """Add a session (422 if it ends before it starts, overlaps on its stage, …)."""
        found = draft.find_event(db_session(), event)
        return session_payload(draft.create_session(db_session(), found, body), found)


def _session(event: Event, session_id: int) -> ProgrammeSession:
    found = draft.find_session(db_session(), event, session_id)
    if found is None:
        not_found(N_("Session not found."))
    return found


@blp.route("/<event>/sessions/<int:session_id>")
class SessionView(MethodView):
    @organiser("programme.edit")
    @blp.response(200, DraftSessionSchema)
    def get(self, event: str, session_id: int):
        """One draft session."""
        found = draft.find_event(db_session(), event)
        return session_payload(_session(found, session_id), found)

    @organiser("programme.edit")
    @blp.arguments(DraftSessionChangeSchema(partial=True))
    @blp.response(200, DraftSessionSchema)
    def patch(self, body: dict, event: str, session_id: int):
        """Change a session; set status "cancelled" to cancel it."""
        found = draft.find_event(db_session(), event)
        programme_session = draft.update_session(db_session(), _session(found, session_id), body)
        return session_payload(programme_session, found)

    @organiser("programme.edit")
    @blp.response(204)
    def delete(self, event: str, session_id: int):
        """Remove a session from the draft; if published, the next release shows it cancelled."""
        found = draft.find_event(db_session(), event)
        draft.delete_session(db_session(), _session(found, session_id))
