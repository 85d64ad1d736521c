"""Organiser pages for the draft's speakers (issue 14): the list with a form to add one, and each
speaker's page to change their details and biographies, upload or remove a photo, or delete
them. As the venue pages do, the forms go through the schemas of the API operations and the same
domain functions, so a page refuses what the API refuses, naming the field. Changes stay in the
draft until the programme is published.

Also the public route of the photos that releases name (`/<event>/speakers/photos/<digest>.jpg`).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema

from services.schedule import draft
from services.schedule.models import Event, Speaker
from services.schedule.pages import pages
from services.schedule.pages.organiser import _text, form_field, load_event, load_form
from services.schedule.pages.speakers import initials
from services.schedule.photo_uploads import FORM_ALLOWANCE, allow_photo_upload, uploaded_photo
from services.schedule.photos import (
    MAX_PHOTO_MEGABYTES,
    PHOTO_MEDIA_TYPE,
    PhotoTooLarge,
    find_photo,
    speaker_photo_path,
)
from services.schedule.schemas import SpeakerChangeSchema, SpeakerSchema
from shared.errors import DomainError
from shared.pages import translate
from shared.pages.organisers import organiser_login_required
from shared.permissions import public
from shared.web import db_session, field_errors

NEW_SPEAKER = SpeakerSchema()
SPEAKER_CHANGE = SpeakerChangeSchema(partial=True)
# What the add form asks; the rest (biographies, photo) on the speaker's own page.
NEW_SPEAKER_FIELDS = ("name", "organisation", "role")
SPEAKER_FIELDS = (*NEW_SPEAKER_FIELDS, "biography", "biography_en")
# A year: a photo's path names its content, so it never changes.
PHOTO_CACHE = "public, max-age=31536000, immutable"

pages.add_app_template_filter(initials, "initials")


@pages.before_app_request
def _photo_upload_limit():
    """The speaker page's form may carry a photo of 5 MB (the platform takes 1 MB): raised
    before the CSRF check reads the form."""
    if request.endpoint == "schedule_pages.edit_speaker" and request.method == "POST":
        allow_photo_upload(FORM_ALLOWANCE)


def parse_speaker_form(
    form, schema: Schema, names: tuple[str, ...] = SPEAKER_FIELDS
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The speaker form as `create_speaker`/`update_speaker` values, loaded by the `schema` of
    the API operation that does the same, or errors by form field. Line ends as one "\\n"
    (browsers send CRLF), so an empty line parts paragraphs however the text came."""
    return load_form(schema, {name: _text(form, name).replace("\r\n", "\n") for name in names})


def _domain_errors(error: DomainError) -> dict[str, list[str]]:
    return field_errors(error.errors, form_field) or {"name": [translate(error.message)]}


@pages.route("/<event>/organiser/speakers", methods=["GET", "POST"])
@organiser_login_required("programme.edit")
def organiser_speakers(event: str):
    found = load_event(event)
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values, errors = parse_speaker_form(request.form, NEW_SPEAKER, NEW_SPEAKER_FIELDS)
        if not errors:
            try:
                speaker = draft.create_speaker(db_session(), found, values)
            except DomainError as error:
                errors = _domain_errors(error)
            else:
                flash(
                    _(
                        "“%(name)s” added to the draft. Add a biography and a photo here.",
                        name=speaker.name,
                    ),
                    "success",
                )
                return redirect(url_for(".edit_speaker", event=event, speaker_id=speaker.id), 303)
        values, status = request.form.to_dict(), 422
    speakers = draft.list_speakers(db_session(), found)
    return render_template(
        "pages/organiser/speakers.html",
        event=found,
        speakers=sorted(speakers, key=lambda speaker: (speaker.name.casefold(), speaker.id)),
        session_counts=draft.speaker_session_counts(db_session(), found),
        photo_urls={s.id: speaker_photo_path(s) or "" for s in speakers},
        values=values,
        errors=errors,
        nav_current="organiser",
    ), status


def _draft_speaker(event: Event, speaker_id: int) -> Speaker:
    speaker = draft.find_speaker(db_session(), event, speaker_id)
    if speaker is None:
        abort(404, _("This speaker is not in the draft."))
    return speaker


def _render_speaker_form(
    event: Event, speaker: Speaker, values: dict, errors: dict, status: int = 200
):
    return render_template(
        "pages/organiser/speaker_form.html",
        event=event,
        speaker=speaker,
        photo_url=speaker_photo_path(speaker) or "",
        sessions=draft.speaker_sessions(db_session(), speaker),
        tz=draft.event_timezone(event),
        values=values,
        errors=errors,
        max_megabytes=MAX_PHOTO_MEGABYTES,
        nav_current="organiser",
    ), status


@pages.route("/<event>/organiser/speakers/<int:speaker_id>", methods=["GET", "POST"])
@organiser_login_required("programme.edit")
def edit_speaker(event: str, speaker_id: int):
    """The speaker's details, biographies and photo. The form's `action` says what to do:
    save (the default), remove the photo, or delete the speaker."""
    found = load_event(event)
    speaker = _draft_speaker(found, speaker_id)
    if request.method == "GET":
        return _render_speaker_form(
            found, speaker, {name: getattr(speaker, name) for name in SPEAKER_FIELDS}, {}
        )
    action = request.form.get("action", "save")
    if action == "delete":
        name = speaker.name
        draft.delete_speaker(db_session(), speaker)
        flash(
            _("“%(name)s” is deleted from the draft and from their sessions.", name=name),
            "success",
        )
        return redirect(url_for(".organiser_speakers", event=event), 303)
    if action == "remove_photo":
        draft.remove_speaker_photo(db_session(), speaker)
        flash(_("The photo is removed from the draft."), "success")
        return redirect(url_for(".edit_speaker", event=event, speaker_id=speaker_id), 303)
    changes, errors = parse_speaker_form(request.form, SPEAKER_CHANGE)
    status, stored_photo = 422, speaker.photo_digest
    try:
        photo = uploaded_photo()
        if photo is not None:
            draft.set_speaker_photo(db_session(), speaker, photo)
    except DomainError as error:
        errors = errors | field_errors(error.errors, form_field)
        status = error.status if isinstance(error, PhotoTooLarge) else status
    if not errors:
        try:
            draft.update_speaker(db_session(), speaker, changes)
        except DomainError as error:
            errors = _domain_errors(error)
        else:
            flash(
                _(
                    "Saved in the draft. Publish to make it public: “%(title)s”.",
                    title=speaker.name,
                ),
                "success",
            )
            return redirect(url_for(".edit_speaker", event=event, speaker_id=speaker_id), 303)
    # What was typed comes back; the photo as stored (the answer rolls back any upload).
    speaker.photo_digest = stored_photo
    values = {name: request.form.get(name, "") for name in SPEAKER_FIELDS}
    return _render_speaker_form(found, speaker, values, errors, status)


@pages.get("/<event>/speakers/photos/<digest>.jpg")
@public
def speaker_photo(event: str, digest: str):
    """A speaker photo that a release names: the bytes never change for a path, so caches
    may keep them for a year."""
    data = find_photo(db_session(), draft.find_event(db_session(), event), digest)
    if data is None:
        abort(404, _("There is no such photo."))
    response = make_response(data)
    response.headers["Content-Type"] = PHOTO_MEDIA_TYPE
    response.headers["Cache-Control"] = PHOTO_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(digest)
    return response.make_conditional(request)
