"""Speaker photos: an upload checked, turned upright, stripped and re-encoded, then stored once
per event under the SHA-256 of the result (issue 14).

Whatever is uploaded, only a JPEG made here is ever stored and served: Pillow must decode the
file as JPEG, PNG or WebP, it may have at most MAX_PHOTO_PIXELS (decompression bombs are
refused before they are decoded), the EXIF orientation is applied, the colours are brought to
sRGB, transparency goes onto white, and the picture is fitted into PHOTO_BOX and written anew
without any metadata (no EXIF with places or camera serials, no comments, no profiles).

The stored photo is content-addressed (`speaker_photos`), so each release keeps the photo it was
published with, and several instances serve the same bytes from the database.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re

from PIL import Image, ImageCms, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.schedule.models import Event, SpeakerPhoto
from shared.errors import DomainError, Invalid
from shared.i18n import N_

log = logging.getLogger(__name__)

MAX_PHOTO_MEGABYTES = 5
MAX_PHOTO_BYTES = MAX_PHOTO_MEGABYTES * 1024 * 1024
# 50 megapixels: what phones write at full resolution (8160 × 6120), far below Pillow's own
# bomb limit; more is refused from the file's header, before anything is decoded.
MAX_PHOTO_PIXELS = 50_000_000
PHOTO_BOX = (600, 600)
JPEG_QUALITY = 85
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
PHOTO_MEDIA_TYPE = "image/jpeg"
DIGEST = re.compile(r"^[0-9a-f]{64}$")

NOT_AN_IMAGE = N_("Choose a photo as JPEG, PNG or WebP; this file could not be read as one.")
NO_FILE = N_("Choose a photo as JPEG, PNG or WebP.")
TOO_MANY_PIXELS = N_(
    "The photo has too many pixels (at most %(megapixels)s megapixels).",
    megapixels=MAX_PHOTO_PIXELS // 1_000_000,
)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class PhotoTooLarge(DomainError):
    """An upload of more than MAX_PHOTO_BYTES (413), named at the field `photo`."""

    status = 413

    def __init__(self):
        message = N_("The photo may be at most %(megabytes)s MB.", megabytes=MAX_PHOTO_MEGABYTES)
        super().__init__(message, {"photo": [message]})


def _refused(message) -> Invalid:
    return Invalid({"photo": [message]})


def _on_white(image: Image.Image) -> Image.Image:
    """`image` without transparency: what shows through becomes white."""
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    background.alpha_composite(rgba)
    return background.convert("RGB")


def _in_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """`image` as RGB, its colours converted from its embedded profile to sRGB where it has a
    usable one (a phone's Display P3 photo would look dull otherwise)."""
    if icc_profile and image.mode in ("RGB", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # a broken profile: the colours are taken as they are
        if converted is not None:
            return converted
    return image if image.mode == "RGB" else image.convert("RGB")


def prepare_photo(data: bytes) -> bytes:
    """The uploaded `data` as the JPEG that is stored and served; `PhotoTooLarge` (413) or
    `Invalid` (422, at `photo`) if it is not a photo we take."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge()
    if not data:
        raise _refused(NO_FILE)
    try:
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as opened:
            # From the header alone: a small file may claim an enormous picture.
            if opened.width * opened.height > MAX_PHOTO_PIXELS:
                raise _refused(TOO_MANY_PIXELS)
            icc_profile = opened.info.get("icc_profile")
            # JPEGs decode at a fraction of their size where that still fills the box twice.
            opened.draft(None, (PHOTO_BOX[0] * 2, PHOTO_BOX[1] * 2))
            opened.load()
            image = ImageOps.exif_transpose(opened)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image = _on_white(image)
            image = _in_srgb(image, icc_profile)
            image.thumbnail(PHOTO_BOX, Image.Resampling.LANCZOS)
    except Invalid:
        raise
    except Image.DecompressionBombError:
        raise _refused(TOO_MANY_PIXELS) from None
    except Exception as exc:  # whatever a decoder makes of a hostile file: not a photo
        log.info("photo refused: %s: %s", type(exc).__name__, exc)
        raise _refused(NOT_AN_IMAGE) from None
    # A new picture of the pixels alone, so that nothing of the upload's metadata comes along.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def photo_digest(jpeg: bytes) -> str:
    return hashlib.sha256(jpeg).hexdigest()


def store_photo(session: Session, event_id: int, jpeg: bytes) -> str:
    """Keep `jpeg` for the event (once, however often it is uploaded); its digest."""
    digest = photo_digest(jpeg)
    known = session.scalar(
        select(SpeakerPhoto.id).where(
            SpeakerPhoto.event_id == event_id, SpeakerPhoto.digest == digest
        )
    )
    if known is None:
        session.add(SpeakerPhoto(event_id=event_id, digest=digest, data=jpeg))
        session.flush()
    return digest


def find_photo(session: Session, event: Event, digest: str) -> bytes | None:
    """The JPEG of `event` with this digest; None if the event has none such."""
    if not DIGEST.match(digest):
        return None
    return session.scalar(
        select(SpeakerPhoto.data).where(
            SpeakerPhoto.event_id == event.id, SpeakerPhoto.digest == digest
        )
    )


def photo_path(event_slug: str, digest: str) -> str:
    """Where the schedule service serves the photo (releases carry this path)."""
    return f"/{event_slug}/speakers/photos/{digest}.jpg"


def speaker_photo_path(speaker) -> str | None:
    """Where the speaker's photo is served; None if they have none."""
    if not speaker.photo_digest:
        return None
    return photo_path(speaker.event.slug, speaker.photo_digest)
