"""Ticket codes: short, case-insensitive, unambiguous, with a check character; old codes stay."""

from __future__ import annotations

import math

import pytest

from services.registration import codes
from services.registration.codes import ALPHABET, LENGTH, lookup_codes, new_code
from shared.errors import DomainError
from shared.i18n import translated, translations_for
from shared.ticket_codes import printed

OLD_CODE = "HDaukWu2_8jaqPtC"


def refusal(typed: str) -> str:
    """The German reason `typed` is refused as mistyped (it must be)."""
    with pytest.raises(DomainError) as refused:
        lookup_codes(typed)
    assert refused.value.status == 422
    assert refused.value.message.msgid.startswith("This is not a valid ticket code")
    german = translations_for("de")
    return " ".join(translated(m, german) for m in refused.value.errors["code"])


def test_the_alphabet_has_no_characters_people_confuse():
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set(ALPHABET) & set("0O1IL")
    assert "".join(sorted(ALPHABET)) == ALPHABET


def test_new_codes_are_short_valid_and_unguessable():
    made = [new_code() for _ in range(5000)]
    assert len(set(made)) == len(made)
    for code in made:
        assert len(code) == LENGTH == 11
        assert set(code) <= set(ALPHABET)
        assert lookup_codes(code) == (code,)
    # 10 random characters of 31: about 2^49.5 codes (the module states the guessing odds).
    assert math.log2(len(ALPHABET) ** codes.RANDOM_LENGTH) > 49
    # Every symbol turns up in every random position.
    for position in range(codes.RANDOM_LENGTH):
        assert {code[position] for code in made} == set(ALPHABET)


def test_codes_are_shown_in_groups_of_four_and_typed_in_any_form():
    code = new_code()
    shown = printed(code)
    assert shown == f"{code[:4]}-{code[4:8]}-{code[8:]}"
    for typed in (
        shown,
        shown.lower(),
        f"  {code.lower()} ",
        shown.replace("-", " "),
        shown.replace("-", "\u2013"),
        "-".join(code),
    ):
        assert lookup_codes(typed) == (code,), typed
    assert printed(OLD_CODE) == OLD_CODE


def test_every_single_typo_and_swap_is_refused_before_any_lookup():
    code = new_code()
    for position in range(LENGTH):
        for symbol in ALPHABET:
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1 :]
                assert "Prüfzeichen" in refusal(typo), typo
        for other in range(position + 1, LENGTH):
            if code[position] != code[other]:
                swapped = list(code)
                swapped[position], swapped[other] = swapped[other], swapped[position]
                assert "Prüfzeichen" in refusal("".join(swapped))


def test_confusable_characters_and_wrong_lengths_are_named():
    code = new_code()
    assert refusal(code[:3] + "O" + code[4:]).endswith("dieser enthält O.")
    assert refusal("1" + code[1:]).endswith("dieser enthält 1.")
    assert refusal("I" + code[1:9] + "0l").endswith("dieser enthält I, 0, L.")
    assert refusal(code[:-1]) == "10 Zeichen; ein Ticket-Code hat 11."
    assert refusal(code + "A") == "12 Zeichen; ein Ticket-Code hat 11."
    assert refusal("no-such-code").endswith("dieser enthält O.")


def test_old_codes_are_looked_up_exactly_as_typed():
    assert lookup_codes(OLD_CODE) == (OLD_CODE,)
    assert lookup_codes(f" {OLD_CODE}\n") == (OLD_CODE,)
    assert lookup_codes(OLD_CODE.lower()) == (OLD_CODE.lower(),)
    assert lookup_codes("-ab_CD-ef-gh-ij-") == ("-ab_CD-ef-gh-ij-",)
    # A new code typed with odd dashes to 16 characters may be either: both are looked up.
    code = new_code()
    odd = f"{code[:4]}--{code[4:8]}--{code[8:]}-"
    assert len(odd) == 16 and lookup_codes(odd) == (odd, code)


def test_anything_else_is_looked_up_as_it_is_and_found_by_nothing():
    for other in ("https://example.org/ticket?id=7", "Ä", "AB\x00CD"):
        assert lookup_codes(other) == (other,)
