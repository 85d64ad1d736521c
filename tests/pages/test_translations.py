"""The German catalogue covers every string the documented extract command finds (pages,
templates and the domain's `N_` messages), and the compiled catalogue is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "shared" / "translations"
GERMAN = TRANSLATIONS / "de" / "LC_MESSAGES"


def singular(message_id) -> str:
    """A message's id; for plural messages (ngettext) the singular."""
    return message_id if isinstance(message_id, str) else message_id[0]


def text(message_string) -> str | tuple[str, ...]:
    return message_string if isinstance(message_string, str) else tuple(message_string)


def extracted_strings(template: Path) -> set[str]:
    """What `pybabel extract` finds, run as shared/translations/README.md says."""
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(TRANSLATIONS / "babel.cfg"),
            "-k",
            "lazy_gettext",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(template),
            str(ROOT),
        ]
    )
    with template.open("rb") as pot:
        return {singular(m.id) for m in read_po(pot) if m.id}


def test_every_string_has_a_german_translation(tmp_path):
    with (GERMAN / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {
        singular(m.id): m.string for m in catalogue if m.id and all(text(m.string)) and not m.fuzzy
    }
    extracted = extracted_strings(tmp_path / "messages.pot")
    # Page strings, a template's, and domain messages with and without parameters.
    assert {
        "Programme",
        "Reserve a seat",
        "Organiser login",
        "This session is cancelled.",
        "Overlaps in time with %(session)s.",
    } <= extracted
    missing = sorted(extracted - translated.keys())
    assert not missing, f"translate in {GERMAN / 'messages.po'}: {missing}"


def test_compiled_catalogue_matches_the_po_file():
    with (GERMAN / "messages.po").open("rb") as po:
        source = {singular(m.id): text(m.string) for m in read_po(po) if m.id}
    with (GERMAN / "messages.mo").open("rb") as mo:
        compiled = {singular(m.id): text(m.string) for m in read_mo(mo) if m.id}
    assert compiled == source, "run: pybabel compile -d shared/translations -D messages"
