"""marshmallow's own messages are recognised and translated like the catalogue's."""

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from shared.i18n import LIBRARY_MESSAGES, library_message, translated, translations_for


class Everything(Schema):
    title = fields.String(required=True, validate=validate.Length(max=300))
    code = fields.String(validate=validate.Length(min=2, max=4))
    seats = fields.Integer(validate=validate.Range(min=1, max=2147483647))
    at_least = fields.Integer(validate=validate.Range(min=1))
    mode = fields.String(validate=validate.OneOf(["required", "external", "none"]))
    starts_at = fields.DateTime()
    email = fields.Email()
    url = fields.Url()
    flag = fields.Boolean()
    guid = fields.UUID()
    tags = fields.List(fields.String())
    note = fields.String(allow_none=False)


def errors_for(data: dict) -> dict:
    with pytest.raises(ValidationError) as raised:
        Everything().load(data)
    return raised.value.messages


def test_marshmallow_messages_come_out_in_german():
    errors = errors_for(
        {
            "code": "x",
            "seats": 0,
            "at_least": 0,
            "mode": "maybe",
            "starts_at": "yesterday",
            "email": "nobody",
            "url": "not a url",
            "flag": "perhaps",
            "guid": "g",
            "tags": "one",
            "note": None,
            "extra": 1,
        }
    )
    german = translated(errors, translations_for("de"))
    assert german == {
        "title": ["Dieses Feld fehlt."],
        "code": ["Zwischen 2 und 4 Zeichen."],
        "seats": ["Zwischen 1 und 2147483647."],
        "at_least": ["Mindestens 1."],
        "mode": ["Erlaubt sind: required, external, none."],
        "starts_at": ["Kein gültiger Zeitpunkt."],
        "email": ["Keine gültige E-Mail-Adresse."],
        "url": ["Keine gültige URL."],
        "flag": ["Kein gültiger Wahrheitswert."],
        "guid": ["Keine gültige UUID."],
        "tags": ["Keine gültige Liste."],
        "note": ["Dieses Feld darf nicht leer sein."],
        "extra": ["Unbekanntes Feld."],
    }
    assert translated(errors_for({"title": "x" * 301}), translations_for("de")) == {
        "title": ["Höchstens 300 Zeichen."]
    }


def test_every_library_message_has_german_and_other_text_stays():
    german = translations_for("de")
    for message in LIBRARY_MESSAGES:
        assert german.gettext(message.msgid) != message.msgid, message.msgid
    assert library_message("Arbeit / Zukunft: 100 %") is None
    assert translated("Arbeit / Zukunft: 100 %", german) == "Arbeit / Zukunft: 100 %"
    assert translated("Longer than maximum length 5.", translations_for("en")) == (
        "Longer than maximum length 5."
    )
