"""Reading a speaker photo from the request: the API's raw body or the edit page's form.

The platform takes at most 1 MB per request (`MAX_CONTENT_LENGTH`); a photo may have 5 MB. The
limit is raised for these two requests alone, before anything reads the body (for the page,
before the CSRF check parses the form: `allow_photo_upload` runs as an early hook), and a body
beyond it is refused with a message that names the photo's limit.
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from services.schedule.photos import MAX_PHOTO_BYTES, PhotoTooLarge

# Room for the form's other fields (name, biographies, the multipart boundaries) beside the photo.
FORM_ALLOWANCE = 64 * 1024


def allow_photo_upload(allowance: int = 0) -> None:
    """Let this request's body be a photo (plus `allowance` bytes); `PhotoTooLarge` (413) at
    once if its Content-Length says that it is larger."""
    limit = request.max_content_length = MAX_PHOTO_BYTES + allowance
    if request.content_length is not None and request.content_length > limit:
        raise PhotoTooLarge()


def photo_upload() -> bytes:
    """The request's body: the photo's bytes (413 beyond the limit)."""
    allow_photo_upload()
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise PhotoTooLarge() from None


def uploaded_photo(field: str = "photo") -> bytes | None:
    """The file chosen in the form's `field`; None if none was chosen."""
    try:
        upload = request.files.get(field)
    except RequestEntityTooLarge:
        raise PhotoTooLarge() from None
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge()
    return data
