"""The German catalogue covers every page string, and the compiled catalogue is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "shared" / "translations"
GERMAN = TRANSLATIONS / "de" / "LC_MESSAGES"


def extracted_strings() -> set[str]:
    with (TRANSLATIONS / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_page_string_has_a_german_translation():
    with (GERMAN / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    extracted = extracted_strings()
    assert {"Programme", "Reserve a seat", "Organiser login"} <= extracted
    missing = sorted(extracted - translated.keys())
    assert not missing, f"translate in {GERMAN / 'messages.po'}: {missing}"


def test_compiled_catalogue_matches_the_po_file():
    with (GERMAN / "messages.po").open("rb") as po:
        source = {m.id: m.string for m in read_po(po) if m.id}
    with (GERMAN / "messages.mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == source, "run: pybabel compile -d shared/translations -l de"
