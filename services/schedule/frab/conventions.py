"""What the frab export and the frab reading agree on.

The formats have no place for some of our data, so we carry it in fields every reader shows
and read it back when importing (our own files and anyone else's):

- English title -> `subtitle`; English abstract -> `description`. Files from other tools use
  these for a German subtitle / long description, so they are only read this way from files our
  generator wrote; otherwise they are appended to the abstract.
- Cancelled sessions stay in the files; their title starts with `CANCELLED_PREFIX`.
- Several tracks -> one `track` string, names joined with `TRACK_SEPARATOR`.
- Registration -> a link titled "Anmeldung … / Registration …" (see
  `export._registration_link`, read back by `reading._registration_from`); seat capacity -> also
  the room's `capacity` (schedule.json only: the XML room has no such field).
- Livestream -> a link titled `LIVESTREAM_TITLE`; in schedule.json also `do_not_stream`.
- Speakers' organisation and role -> extra keys of the schedule.json person (XML: name only).

Days follow frab: a day runs from `shared.calendars.DAY_CHANGE` (04:00) local time to 03:59 the next morning, so a
session at 01:00 belongs to the evening before. All times are in the event's time zone with
their UTC offset; durations are real elapsed time (they stay right across DST changes).
"""

import re
import unicodedata
import uuid

GENERATOR = "todo-platform"
CANCELLED_PREFIX = "ABGESAGT / CANCELLED: "
TRACK_SEPARATOR = " / "
LIVESTREAM_TITLE = "Livestream"
# Namespace of the UUID5s we derive where a file or a record has no usable guid.
GUID_NAMESPACE = uuid.UUID("6f1c8a56-2a4e-5d0b-9a57-1c0de7f0da7a")

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
REGISTRATION_EXTERNAL_TITLE = "Anmeldung extern / External registration"
REGISTRATION_NONE_TITLE = "Eintritt frei, ohne Anmeldung / Free entry, no registration"
_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().translate(_GERMAN_LETTERS))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
