"""Speakers for organisers (issue 14): the organiser pages to add, edit and delete speakers, the
photo upload (page and API) with its checks, the content-addressed photo route that releases
name, the photo and placeholder on the public speaker pages, permissions, and pretalx's
biographies on import."""

from __future__ import annotations

import copy
import io
import json
import re
import struct
import zlib
from html import unescape
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from services.schedule.draft import find_event, find_speaker, list_speakers
from services.schedule.frab.reading import parse_frab
from services.schedule.importer import import_programme
from services.schedule.models import ApiToken, Release, SpeakerPhoto
from services.schedule.organisations import create_organisation, set_owner
from services.schedule.organisers import set_password
from services.schedule.photos import MAX_PHOTO_BYTES
from services.schedule.releases import publish_release
from shared.auth import new_token, store_token
from shared.organisations import membership
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from tests.support.schedule import make_document
from tests.support.schedule import session_item as item

EVENT = "testweek"
HTML = {"Accept": "text/html", "Accept-Language": "de"}
FIXTURES = Path(__file__).parent / "fixtures"
WESTPHAL = {
    "guid": "westphal",
    "name": "Thomas Westphal",
    "organisation": "Stadt Dortmund",
    "role": "OB",
}
ERIKA = Principal("erika", "bochum", "programme")
OUTSIDERS = [
    (Principal("herne-owner", "herne", "owner"), 404),  # another organisation's event
    (Principal("vera", "bochum", "viewer"), 403),  # a role without programme.edit
    (Principal("tuer", "bochum", "door"), 403),
]
PRINCIPALS = [Principal("ops"), ERIKA, *(principal for principal, _status in OUTSIDERS)]
HOSTILE = '<script>alert("bio")</script> & <img src=x onerror=alert(1)>'


# -- images made here ---------------------------------------------------------------------------


def png(size=(800, 400), color=(30, 90, 200), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def sideways_jpeg() -> bytes:
    """A 300 × 100 JPEG, red on its left third, whose EXIF says "turn 90° clockwise to view"
    (orientation 6, as a phone held upright writes it), with camera details, a comment and a
    colour profile that must not survive."""
    image = Image.new("RGB", (300, 100), "white")
    image.paste((220, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "Spycam Inc."  # Make
    exif[0x0110] = "Model 007"  # Model
    exif[0x010E] = "Bei Familie Muster, Musterweg 1"  # ImageDescription
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment", icc_profile=profile)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` × `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def speaker_event(schedule_db, import_document):
    """The test programme with Thomas Westphal in two sessions and one other speaker,
    published as release 1, owned by the organisation `bochum` (`herne` owns nothing)."""
    sessions = [
        item("early", "2024-04-29 10:00", 60, title="Frühe Runde", speakers=[WESTPHAL]),
        item("late", "2024-04-30 18:00", 60, title="Späte Runde", speakers=[WESTPHAL]),
        item(
            "other", "2024-04-29 13:00", 60, speakers=[{"guid": "abel", "name": "Dr. Ärztin Abel"}]
        ),
    ]
    with schedule_db.transaction() as session:
        create_organisation(session, "bochum", "Bochum – Arbeit der Zukunft")
        create_organisation(session, "herne", "Herne arbeitet")
        event = import_document(session, make_document(sessions)).event
        set_owner(session, event, "bochum")
        publish_release(session, event, "erste Fassung")
        for principal in PRINCIPALS:
            member = membership(principal.organisation, principal.role, principal.events)
            set_password(session, principal.name, "correct horse battery", member)
    return EVENT


def speaker_id(schedule_db, guid: str = "westphal") -> int:
    with schedule_db.transaction() as session:
        event = find_event(session, EVENT)
        return next(s.id for s in list_speakers(session, event) if s.guid == guid)


def signed_in(client, principal: Principal = Principal("ops")):
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(principal))
    return client


@pytest.fixture
def organiser(client, speaker_event):
    """The client, signed in as a member of `bochum` with the role `programme`."""
    return signed_in(client, ERIKA)


def token_for(schedule_db, organisation: str | None, role: str | None) -> dict:
    token = new_token()
    with schedule_db.transaction() as session:
        store_token(session, ApiToken, f"t-{role}", token, member=membership(organisation, role))
    return {"Authorization": f"Bearer {token}"}


def csrf_token(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def edit_url(schedule_db, guid: str = "westphal") -> str:
    return f"/{EVENT}/organiser/speakers/{speaker_id(schedule_db, guid)}"


def save(client, url: str, photo: bytes | None = None, filename="foto.png", **fields):
    """The speaker form sent as a browser sends it (multipart, with its CSRF token)."""
    page = client.get(url, headers=HTML)
    form = {
        "name": "Thomas Westphal",
        "organisation": "Stadt Dortmund",
        "role": "OB",
        "biography": "",
        "biography_en": "",
        "action": "save",
        "csrf_token": csrf_token(page),
    } | fields
    if photo is not None:
        form["photo"] = (io.BytesIO(photo), filename)
    return client.post(url, data=form, headers=HTML, content_type="multipart/form-data")


def stored_speaker(schedule_db, guid: str = "westphal"):
    with schedule_db.transaction() as session:
        speaker = find_speaker(session, find_event(session, EVENT), speaker_id(schedule_db, guid))
        session.expunge(speaker)
        return speaker


def photo_bytes(client, path: str) -> bytes:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.data


# -- the organiser pages ------------------------------------------------------------------------


def test_the_speakers_are_in_the_organiser_navigation_and_listed(organiser, schedule_db):
    page = organiser.get(f"/{EVENT}/organiser/speakers", headers=HTML)
    assert page.status_code == 200
    nav = re.search(r'<nav class="sub-nav".*?</nav>', page.text, re.S)[0]
    assert re.search(
        r'href="[^"]*/testweek/organiser/speakers" aria-current="page">Mitwirkende<', nav
    )
    names = re.findall(r'href="/testweek/organiser/speakers/\d+">([^<]+)</a>', page.text)
    assert names == ["Dr. Ärztin Abel", "Thomas Westphal"]
    # No photo yet: the initials stand in, titles left out.
    assert (
        '<span class="speaker-photo speaker-photo--none speaker-photo--40" aria-hidden="true">ÄA</span>'
        in page.text
    )
    assert "Person hinzufügen" in text_of(page)


def test_organiser_adds_a_speaker_who_lands_on_their_page(organiser, schedule_db):
    page = organiser.get(f"/{EVENT}/organiser/speakers", headers=HTML)
    added = organiser.post(
        f"/{EVENT}/organiser/speakers",
        data={
            "name": "Heike Bettermann",
            "organisation": "Agentur",
            "csrf_token": csrf_token(page),
        },
        headers=HTML,
    )
    assert added.status_code == 303
    assert re.search(r"/testweek/organiser/speakers/\d+$", added.headers["Location"])
    landing = organiser.get(added.headers["Location"], headers=HTML)
    assert "„Heike Bettermann“ ist im Entwurf." in text_of(landing)
    assert "Noch in keiner Session" in text_of(landing)
    # The same person twice is refused at the name, as the API refuses it (409).
    again = organiser.post(
        f"/{EVENT}/organiser/speakers",
        data={
            "name": "Heike Bettermann",
            "organisation": "Agentur",
            "csrf_token": csrf_token(page),
        },
        headers=HTML,
    )
    assert again.status_code == 422
    assert 'id="error-name-1"' in again.text
    assert 'value="Heike Bettermann"' in again.text


def test_the_form_refuses_what_the_api_refuses_naming_the_field(organiser, schedule_db):
    url = edit_url(schedule_db)
    for field, value in (("name", ""), ("role", "x" * 201), ("biography_en", "x" * 5001)):
        answer = save(organiser, url, **{field: value, "biography": "Neu"})
        assert answer.status_code == 422, field
        assert f'id="error-{field}-1"' in answer.text, field
        assert f'href="#field-{field}"' in answer.text  # the error summary names it too
        assert stored_speaker(schedule_db).biography == ""  # nothing saved


def test_organiser_edits_biographies_and_photo_which_go_public_with_the_next_release(
    organiser, client, schedule_db
):
    url = edit_url(schedule_db)
    saved = save(
        organiser,
        url,
        photo=png((1200, 900)),
        biography="Oberbürgermeister seit 2020.\r\n\r\nVorher Wirtschaftsförderung.",
        biography_en="Lord mayor since 2020.",
    )
    assert saved.status_code == 303, saved.text
    speaker = stored_speaker(schedule_db)
    # Browsers send CRLF; stored with "\n", so the empty line parts the paragraphs.
    assert speaker.biography == "Oberbürgermeister seit 2020.\n\nVorher Wirtschaftsförderung."
    photo_url = f"/{EVENT}/speakers/photos/{speaker.photo_digest}.jpg"
    edit_page = organiser.get(url, headers=HTML)
    assert f'src="{photo_url}"' in edit_page.text
    assert 'alt="Aktuelles Foto von Thomas Westphal"' in edit_page.text
    assert 'enctype="multipart/form-data"' in edit_page.text
    # A JPEG fitted into 600 × 600.
    stored = opened(photo_bytes(client, photo_url))
    assert (stored.format, stored.size) == ("JPEG", (600, 450))

    # In the draft only: the public page has no photo and no biography yet, and the organiser
    # pages say that something waits to be published.
    public = client.get(f"/{EVENT}/speakers/westphal", headers=HTML)
    assert photo_url not in public.text and "Oberbürgermeister" not in public.text
    assert "unveröffentlichte" in text_of(organiser.get(f"/{EVENT}/organiser/speakers"))

    with schedule_db.transaction() as session:
        release = publish_release(session, find_event(session, EVENT))
        infos = [s for info in release.data["sessions"] for s in info["speakers"]]
    assert {info["photo_url"] for info in infos if info["guid"] == "westphal"} == {photo_url}
    assert all("photo_url" not in info for info in infos if info["guid"] == "abel")

    public = client.get(f"/{EVENT}/speakers/westphal", headers=HTML)
    assert (
        f'<img class="speaker-photo" src="{photo_url}" alt="Thomas Westphal" width="160" '
        'height="160" loading="lazy" decoding="async">'
    ) in public.text
    assert "<p>Oberbürgermeister seit 2020.</p><p>Vorher Wirtschaftsförderung.</p>" in public.text
    assert "Lord mayor since 2020." in client.get(f"/{EVENT}/speakers/westphal?lang=en").text
    # The page's policy lets the browser load it: same origin.
    assert "img-src 'self'" in public.headers["Content-Security-Policy"]
    listing = client.get(f"/{EVENT}/speakers", headers=HTML)
    assert f'src="{photo_url}" alt="" width="48" height="48" loading="lazy"' in listing.text
    # Dr. Ärztin Abel has none: her initials, hidden from screen readers (the name is beside).
    assert (
        '<span class="speaker-photo speaker-photo--none speaker-photo--48" aria-hidden="true">ÄA</span>'
        in listing.text
    )


def test_the_photo_route_is_cached_for_good_and_knows_only_its_events_photos(
    organiser, client, schedule_db, import_document
):
    assert save(organiser, edit_url(schedule_db), photo=png()).status_code == 303
    digest = stored_speaker(schedule_db).photo_digest
    path = f"/{EVENT}/speakers/photos/{digest}.jpg"
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/jpeg"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(path, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    # Another event has no such photo, even with the same bytes' digest.
    with schedule_db.transaction() as session:
        import_document(session, make_document(slug="andere"))
    for missing in (
        f"/andere/speakers/photos/{digest}.jpg",
        f"/{EVENT}/speakers/photos/{'0' * 64}.jpg",
        f"/{EVENT}/speakers/photos/{digest.upper()}.jpg",
        f"/{EVENT}/speakers/photos/..%2f{digest}.jpg",
        f"/{EVENT}/speakers/photos/x.jpg",
        f"/keine/speakers/photos/{digest}.jpg",
    ):
        assert client.get(missing, headers=HTML).status_code == 404, missing


def test_a_sideways_phone_photo_is_turned_upright_and_stripped_of_everything_else(
    client, schedule_db, speaker_event
):
    headers = token_for(schedule_db, "bochum", "programme")
    answer = client.put(
        f"/api/v1/events/{EVENT}/speakers/{speaker_id(schedule_db)}/photo",
        data=sideways_jpeg(),
        headers=headers | {"Content-Type": "image/jpeg"},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["photo_url"].startswith(f"/{EVENT}/speakers/photos/")
    data = photo_bytes(client, answer.json["photo_url"])
    image = opened(data)
    # Upright: tall, and the red third at the top.
    assert image.size == (100, 300)
    top, bottom = image.getpixel((50, 20)), image.getpixel((50, 280))
    assert top[0] > 180 and top[1] < 60 and bottom == pytest.approx((255, 255, 255), abs=8)
    # Nothing of the upload's metadata: no EXIF, comment, profile, XMP.
    assert not image.getexif()
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    for secret in (b"Spycam", b"Model 007", b"Musterweg", b"secret comment", b"Exif"):
        assert secret not in data
    with schedule_db.transaction() as session:
        stored = session.query(SpeakerPhoto).one()
        assert stored.data == data and len(stored.digest) == 64


def test_a_transparent_png_gets_a_white_ground(client, schedule_db, speaker_event):
    headers = token_for(schedule_db, None, None)
    answer = client.put(
        f"/api/v1/events/{EVENT}/speakers/{speaker_id(schedule_db)}/photo",
        data=png((100, 100), (0, 0, 0, 0), mode="RGBA"),
        headers=headers,
    )
    assert answer.status_code == 200
    image = opened(photo_bytes(client, answer.json["photo_url"]))
    assert image.mode == "RGB" and image.getpixel((50, 50)) == pytest.approx((255, 255, 255), abs=3)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"GIF89a not really", "ließ sich nicht als solches lesen"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "lesen"),
        (png()[:60], "lesen"),  # cut off
        (b"", "Wähle ein Foto"),
        (png_claiming(30_000, 30_000), "zu viele Pixel"),  # Pillow's own bomb limit
        (png_claiming(8_000, 8_000), "zu viele Pixel"),  # 64 megapixels: ours
    ],
    ids=["gif-text", "svg", "truncated", "empty", "bomb", "too-many-pixels"],
)
def test_what_is_no_photo_we_take_is_refused_at_the_field_photo(
    client, schedule_db, speaker_event, body, message
):
    headers = token_for(schedule_db, "bochum", "programme") | {"Accept-Language": "de"}
    url = f"/api/v1/events/{EVENT}/speakers/{speaker_id(schedule_db)}/photo"
    answer = client.put(url, data=body, headers=headers)
    assert answer.status_code == 422, answer.json
    assert list(answer.json["errors"]) == ["photo"]
    assert message in answer.json["errors"]["photo"][0]
    assert stored_speaker(schedule_db).photo_digest is None


def test_a_gif_is_refused_though_pillow_reads_it(client, schedule_db, speaker_event):
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(out, "GIF")
    answer = client.put(
        f"/api/v1/events/{EVENT}/speakers/{speaker_id(schedule_db)}/photo",
        data=out.getvalue(),
        headers=token_for(schedule_db, None, None),
    )
    assert answer.status_code == 422 and list(answer.json["errors"]) == ["photo"]


def test_a_photo_over_5_mb_is_refused_with_413_naming_the_limit(organiser, client, schedule_db):
    too_big = png((64, 64)) + b"\x00" * (MAX_PHOTO_BYTES + 1)
    answer = client.put(
        f"/api/v1/events/{EVENT}/speakers/{speaker_id(schedule_db)}/photo",
        data=too_big,
        headers=token_for(schedule_db, "bochum", "programme") | {"Accept-Language": "en"},
    )
    assert answer.status_code == 413
    assert answer.json["errors"] == {"photo": ["The photo may be at most 5 MB."]}
    # On the page: the form comes back with the message at the photo, nothing saved.
    url = edit_url(schedule_db)
    page = save(organiser, url, photo=too_big, biography="Neu")
    assert page.status_code == 413
    assert 'id="error-photo-1">Das Foto darf höchstens 5 MB groß sein.' in page.text
    assert 'value="Thomas Westphal"' in page.text and ">Neu</textarea>" in page.text
    assert stored_speaker(schedule_db).biography == ""
    # Far beyond: refused before the form is read, with the same message.
    huge = save(organiser, url, photo=b"\x00" * (MAX_PHOTO_BYTES + 200_000))
    assert huge.status_code == 413
    assert "Das Foto darf höchstens 5 MB groß sein." in text_of(huge)
    # Other forms keep the platform's limit of 1 MB.
    listing = organiser.get(f"/{EVENT}/organiser/speakers", headers=HTML)
    big_form = organiser.post(
        f"/{EVENT}/organiser/speakers",
        data={"name": "x" * 2_000_000, "csrf_token": csrf_token(listing)},
        headers=HTML,
    )
    assert big_form.status_code == 413


def test_a_refused_photo_on_the_page_saves_nothing_else_either(organiser, schedule_db):
    url = edit_url(schedule_db)
    answer = save(organiser, url, photo=b"not an image", filename="x.jpg", biography="Neu")
    assert answer.status_code == 422
    assert 'id="error-photo-1">Wähle ein Foto als JPEG, PNG oder WebP' in answer.text
    assert stored_speaker(schedule_db).biography == ""
    # A valid photo with an invalid field: neither is kept, and the page shows no photo that
    # was never stored.
    answer = save(organiser, url, photo=png(), name="")
    assert answer.status_code == 422
    assert "/speakers/photos/" not in answer.text
    assert stored_speaker(schedule_db).photo_digest is None
    with schedule_db.transaction() as session:
        assert session.query(SpeakerPhoto).count() == 0


def test_releases_keep_the_photo_they_were_published_with(organiser, client, schedule_db):
    url = edit_url(schedule_db)
    assert save(organiser, url, photo=png(color=(200, 0, 0))).status_code == 303
    first = stored_speaker(schedule_db).photo_digest
    with schedule_db.transaction() as session:
        publish_release(session, find_event(session, EVENT))
    assert save(organiser, url, photo=png(color=(0, 200, 0))).status_code == 303
    second = stored_speaker(schedule_db).photo_digest
    assert second != first
    page = organiser.get(url, headers=HTML)
    removed = organiser.post(
        url, data={"action": "remove_photo", "csrf_token": csrf_token(page)}, headers=HTML
    )
    assert removed.status_code == 303
    assert "Das Foto ist aus dem Entwurf entfernt." in text_of(organiser.get(url, headers=HTML))
    assert stored_speaker(schedule_db).photo_digest is None
    with schedule_db.transaction() as session:
        publish_release(session, find_event(session, EVENT))
        releases = session.query(Release).order_by(Release.number).all()
        photos = [
            {s.get("photo_url") for info in r.data["sessions"] for s in info["speakers"]}
            for r in releases
        ]
    assert photos == [{None}, {f"/{EVENT}/speakers/photos/{first}.jpg", None}, {None}]
    # Release 2's photo is still served, and the public page (release 3) shows initials.
    assert client.get(f"/{EVENT}/speakers/photos/{first}.jpg").status_code == 200
    public = client.get(f"/{EVENT}/speakers/westphal", headers=HTML)
    assert "<img" not in public.text and ">TW</span>" in public.text


def test_hostile_biography_text_is_shown_as_text(organiser, client, schedule_db):
    url = edit_url(schedule_db)
    assert save(organiser, url, biography=HOSTILE, name='Eve "><b>x</b>').status_code == 303
    edit_page = organiser.get(url, headers=HTML)
    assert "<script>alert" not in edit_page.text and "<b>x</b>" not in edit_page.text
    assert "&lt;script&gt;alert(&#34;bio&#34;)&lt;/script&gt;" in edit_page.text
    with schedule_db.transaction() as session:
        publish_release(session, find_event(session, EVENT))
    public = client.get(f"/{EVENT}/speakers/westphal", headers=HTML)
    assert "<script>alert" not in public.text and "<img src=x" not in public.text
    assert "onerror=alert(1)&gt;" in public.text
    assert HOSTILE in text_of(public)
    listing = client.get(f"/{EVENT}/speakers", headers=HTML)
    assert "<b>x</b>" not in listing.text and "&lt;b&gt;x&lt;/b&gt;" in listing.text


def test_organiser_deletes_a_speaker_from_the_draft(organiser, schedule_db):
    url = edit_url(schedule_db)
    page = organiser.get(url, headers=HTML)
    assert "Frühe Runde" in text_of(page) and "Späte Runde" in text_of(page)
    deleted = organiser.post(
        url, data={"action": "delete", "csrf_token": csrf_token(page)}, headers=HTML
    )
    assert deleted.status_code == 303
    assert deleted.headers["Location"].endswith(f"/{EVENT}/organiser/speakers")
    listing = organiser.get(deleted.headers["Location"], headers=HTML)
    assert "„Thomas Westphal“ ist aus dem Entwurf und aus allen Sessions gelöscht." in text_of(
        listing
    )
    with schedule_db.transaction() as session:
        event = find_event(session, EVENT)
        assert [s.guid for s in list_speakers(session, event)] == ["abel"]
    assert organiser.get(url, headers=HTML).status_code == 404


def test_a_form_without_its_csrf_token_changes_nothing(organiser, schedule_db):
    url = edit_url(schedule_db)
    answer = organiser.post(url, data={"action": "delete"}, headers=HTML)
    assert answer.status_code == 400
    assert stored_speaker(schedule_db).name == "Thomas Westphal"


# -- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(("principal", "status"), OUTSIDERS)
def test_only_the_events_organisers_with_programme_edit_reach_the_pages(
    client, schedule_db, speaker_event, principal, status
):
    url = edit_url(schedule_db)
    signed_in(client, principal)
    for path in (f"/{EVENT}/organiser/speakers", url):
        assert client.get(path, headers=HTML).status_code == status, path
    # A form of another page of the same login is no way in either.
    token = csrf_token(client.get("/organiser/", headers=HTML))
    for data in ({"action": "delete"}, {"action": "save", "name": "Gekapert"}):
        answer = client.post(url, data=data | {"csrf_token": token}, headers=HTML)
        assert answer.status_code == status
    assert stored_speaker(schedule_db).name == "Thomas Westphal"


@pytest.mark.parametrize(
    ("organisation", "role", "status"),
    [("herne", "owner", 404), ("bochum", "viewer", 403), ("bochum", "registrations", 403)],
)
def test_only_tokens_with_programme_edit_for_the_event_set_photos(
    client, schedule_db, speaker_event, organisation, role, status
):
    headers = token_for(schedule_db, organisation, role)
    url = f"/api/v1/events/{EVENT}/speakers/{speaker_id(schedule_db)}/photo"
    assert client.put(url, data=png(), headers=headers).status_code == status
    assert client.delete(url, headers=headers).status_code == status
    assert client.put(url, data=png()).status_code == 401
    assert stored_speaker(schedule_db).photo_digest is None


def test_the_photo_api_sets_shows_and_removes_the_photo(client, schedule_db, speaker_event):
    headers = token_for(schedule_db, "bochum", "programme")
    api = f"/api/v1/events/{EVENT}/speakers"
    url = f"{api}/{speaker_id(schedule_db)}/photo"
    assert client.put(f"{api}/999999/photo", data=png(), headers=headers).status_code == 404
    put = client.put(url, data=png(), headers=headers | {"Content-Type": "image/png"})
    assert put.status_code == 200
    listed = {s["guid"]: s for s in client.get(api, headers=headers).json}
    assert listed["westphal"]["photo_url"] == put.json["photo_url"]
    assert listed["abel"]["photo_url"] is None
    # The same picture again is stored once.
    assert client.put(url, data=png(), headers=headers).json == put.json
    with schedule_db.transaction() as session:
        assert session.query(SpeakerPhoto).count() == 1
    assert client.delete(url, headers=headers).status_code == 204
    assert {s["guid"]: s for s in client.get(api, headers=headers).json}["westphal"][
        "photo_url"
    ] is None
    # The photo_url cannot be set through the speaker's fields.
    refused = client.patch(
        f"{api}/{speaker_id(schedule_db)}", json={"photo_url": "/x.jpg"}, headers=headers
    )
    assert refused.status_code == 422 and "photo_url" in refused.json["errors"]


def test_the_openapi_document_describes_the_photo_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = document["paths"]["/api/v1/events/{event}/speakers/{speaker_id}/photo"]
    assert set(operations["put"]["requestBody"]["content"]) >= {"image/jpeg", "image/png"}
    assert {"200", "413", "422"} <= set(operations["put"]["responses"])
    assert "delete" in operations


# -- pretalx biographies ------------------------------------------------------------------------


def test_pretalx_biographies_are_imported_and_empty_ones_keep_what_is_there(schedule_db):
    content = (FIXTURES / "pretalx-nextwork24-schedule.json").read_bytes()
    programme = parse_frab(content, "schedule.json")
    people = {s["name"]: s for session in programme["sessions"] for s in session["speakers"]}
    assert people["Dr. Anna Beispiel"]["biography"] == "Arbeitsmarktforscherin aus Bochum."
    assert "biography" not in people["Jonas Muster"]  # null in the file
    assert "biography" not in people["Kai Nachtigall"]  # "" in the file
    with schedule_db.transaction() as session:
        event = import_programme(session, programme).event
        by_name = {s.name: s for s in list_speakers(session, event)}
        assert by_name["Mira Schäfer"].biography == "Betriebsrätin."
        by_name["Kai Nachtigall"].biography = "Liest nachts."
        slug = event.slug
    # Re-imported: the biography written here stays where pretalx has none.
    raw = json.loads(content)
    with schedule_db.transaction() as session:
        import_programme(session, parse_frab(json.dumps(raw).encode(), "schedule.json"))
        event = find_event(session, slug)
        by_name = {s.name: s for s in list_speakers(session, event)}
        assert by_name["Kai Nachtigall"].biography == "Liest nachts."
        assert by_name["Dr. Anna Beispiel"].biography == "Arbeitsmarktforscherin aus Bochum."


def test_an_overlong_pretalx_biography_is_cut_rather_than_failing_the_import():
    raw = json.loads((FIXTURES / "pretalx-nextwork24-schedule.json").read_bytes())
    raw = copy.deepcopy(raw)
    day = raw["schedule"]["conference"]["days"][0]
    person = next(iter(day["rooms"].values()))[0]["persons"][0]
    person["biography"] = "Sehr lang. " * 1000
    programme = parse_frab(json.dumps(raw).encode(), "schedule.json")
    biographies = [s.get("biography", "") for x in programme["sessions"] for s in x["speakers"]]
    assert max(len(text) for text in biographies) == 5000
