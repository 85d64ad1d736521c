"""The speakers of the published programme, as the speaker pages show them.

Plain functions over a release's data (the `schedule.release.published` form): only who
speaks in the published release is shown, never a speaker who is only in the draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.schedule.pages.programme import starts
from services.schedule.reads import _alphabetical
from shared.messages.schedule import SESSION_CANCELLED


@dataclass
class PublishedSpeaker:
    guid: str
    name: str
    organisation: str
    role: str
    biography: str
    biography_en: str
    photo_url: str = ""  # the schedule service's path of the photo; "": none
    sessions: list[dict[str, Any]] = field(default_factory=list)  # release data, in time order

    @property
    def about(self) -> str:
        """Role and organisation in one line ("OB, Stadt Dortmund")."""
        return ", ".join(part for part in (self.role, self.organisation) if part)


def published_speakers(data: dict[str, Any]) -> list[PublishedSpeaker]:
    """Everyone who speaks in the release, alphabetically by name as written ("Ökonomie"
    after "Oberhausen", not after "Zukunft"), each with their sessions in time order."""
    speakers: dict[str, PublishedSpeaker] = {}
    fresh: dict[str, bool] = {}  # guid -> whether the details come from a scheduled session
    for info in sorted(data["sessions"], key=lambda info: (starts(info), info["id"])):
        for raw in info.get("speakers") or []:
            guid = raw.get("guid")
            if not guid:  # releases from before speakers had guids cannot link to a page
                continue
            speaker = speakers.get(guid)
            # The details as a scheduled session gives them: a session deleted from the draft
            # stays cancelled with the speaker as an older release had them (another photo).
            scheduled = info.get("status") != SESSION_CANCELLED
            if speaker is None or (scheduled and not fresh[guid]):
                sessions = speaker.sessions if speaker else []
                speaker = speakers[guid] = _speaker_details(guid, raw, sessions)
                fresh[guid] = scheduled
            if not any(known["id"] == info["id"] for known in speaker.sessions):
                speaker.sessions.append(info)
    return sorted(
        speakers.values(),
        key=lambda speaker: (_alphabetical(speaker.name), speaker.name, speaker.guid),
    )


def _speaker_details(guid: str, raw: dict[str, Any], sessions: list) -> PublishedSpeaker:
    return PublishedSpeaker(
        guid=guid,
        name=raw["name"],
        organisation=raw.get("organisation") or "",
        role=raw.get("role") or "",
        biography=raw.get("biography") or "",
        biography_en=raw.get("biography_en") or "",
        photo_url=raw.get("photo_url") or "",
        sessions=sessions,
    )


def initials(name: str) -> str:
    """Up to two letters for a speaker without a photo: of the first and the last word,
    titles such as "Dr." and "Prof." left out ("Dr. Anna Beispiel" -> "AB")."""
    words = [word for word in name.split() if not word.endswith(".") and word[0].isalnum()]
    words = words or name.split()
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def find_published_speaker(data: dict[str, Any], guid: str) -> PublishedSpeaker | None:
    return next((s for s in published_speakers(data) if s.guid == guid), None)
