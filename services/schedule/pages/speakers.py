"""The speakers of the published programme, as the speaker pages show them.

Plain functions over a release's data (the `schedule.release.published` form): only who
speaks in the published release is shown, never a speaker who is only in the draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.schedule.pages.programme import starts
from services.schedule.reads import _alphabetical


@dataclass
class PublishedSpeaker:
    guid: str
    name: str
    organisation: str
    role: str
    biography: str
    biography_en: str
    sessions: list[dict[str, Any]] = field(default_factory=list)  # release data, in time order

    @property
    def about(self) -> str:
        """Role and organisation in one line ("OB, Stadt Dortmund")."""
        return ", ".join(part for part in (self.role, self.organisation) if part)


def published_speakers(data: dict[str, Any]) -> list[PublishedSpeaker]:
    """Everyone who speaks in the release, alphabetically by name as written ("Ökonomie"
    after "Oberhausen", not after "Zukunft"), each with their sessions in time order."""
    speakers: dict[str, PublishedSpeaker] = {}
    for info in sorted(data["sessions"], key=lambda info: (starts(info), info["id"])):
        for raw in info.get("speakers") or []:
            guid = raw.get("guid")
            if not guid:  # releases from before speakers had guids cannot link to a page
                continue
            speaker = speakers.get(guid)
            if speaker is None:
                speaker = speakers[guid] = PublishedSpeaker(
                    guid=guid,
                    name=raw["name"],
                    organisation=raw.get("organisation") or "",
                    role=raw.get("role") or "",
                    biography=raw.get("biography") or "",
                    biography_en=raw.get("biography_en") or "",
                )
            if not any(known["id"] == info["id"] for known in speaker.sessions):
                speaker.sessions.append(info)
    return sorted(
        speakers.values(),
        key=lambda speaker: (_alphabetical(speaker.name), speaker.name, speaker.guid),
    )


def find_published_speaker(data: dict[str, Any], guid: str) -> PublishedSpeaker | None:
    return next((s for s in published_speakers(data) if s.guid == guid), None)
