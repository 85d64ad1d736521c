"""Ticket codes for the door: short, case-insensitive, unambiguous to type, with a check character.

A code is 10 random characters and one check character from an alphabet of 31 symbols that has
no 0, O, 1, I or L (Crockford's base 32 without the characters people confuse, U kept). It is
stored without separators in upper case ("K7QFM2XDR9P") and shown in groups of four
("K7QF-M2XD-R9P"); the QR code holds the stored form.

Guessing (`settings.checkin_rate_limit`, by default 120 a minute and 5,000 an hour per
organiser token or account): 31^10 = 819,628,286,980,801 codes (2^49.5), of which an event has
at most some 10^5 tickets, so one guess finds one with a chance of 1.2 * 10^-10; at the limit's
43.8 million guesses a year that is one hit in about 190 years of guessing day and night, by
someone who already holds a door account (an event lasts a few days). The chance that a new code
repeats one of 10^6 stored codes is 1.2 * 10^-9 (the unique index would refuse it).

The check character: the values of the ten characters weighted 1 to 10, summed modulo 31 (a
prime, the alphabet's size; ISO 7064 style). Every single wrong character and every swap of two
different characters (next to each other or not, the check character included) changes the sum,
so such a typo is refused as mistyped before any lookup; other errors pass with a chance of 1/31
and are then unknown codes.

Codes from before (16 characters of base64url, "HDaukWu2_8jaqPtC") stay valid: the printed
codes and the QR codes in old mails are looked up exactly as typed (case-sensitive, as issued).
"""

from __future__ import annotations

import re
import secrets

from shared.errors import DomainError
from shared.i18n import N_
from shared.ticket_codes import ALPHABET, LENGTH, RANDOM_LENGTH

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# What people type for characters the alphabet does not have: refused with a hint, since
# O could be meant as 0 as well as Q or D, and 1 as I, L or 7.
CONFUSABLE = "0O1IL"
# Codes issued before: secrets.token_urlsafe(12).
LEGACY_CODE = re.compile(r"[A-Za-z0-9_-]{16}")
# Spaces and dashes people or scanners put between the groups (hyphen, non-breaking hyphen,
# figure, en and em dash, minus).
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")
_ALPHANUMERIC = re.compile(r"[0-9A-Z]+")

MISTYPED = N_("This is not a valid ticket code: please check it for typing errors.")


def check_character(body: str) -> str:
    """The check character of the ten random characters `body` (all of `ALPHABET`)."""
    total = sum(weight * _VALUES[symbol] for weight, symbol in enumerate(body, start=1))
    return ALPHABET[total % len(ALPHABET)]


def new_code() -> str:
    """A new code in its stored form: ten random characters and the check character."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def _canonical(compact: str) -> str:
    """`compact` (upper case, no separators, letters and digits) as a stored code, or
    DomainError (422) saying why it cannot be one."""
    confused = sorted({symbol for symbol in compact if symbol in CONFUSABLE}, key=compact.index)
    if confused:
        raise DomainError(
            MISTYPED,
            {
                "code": [
                    N_(
                        "Ticket codes have no 0, O, 1, I or L; this one has %(characters)s.",
                        characters=", ".join(confused),
                    )
                ]
            },
        )
    if len(compact) != LENGTH:
        raise DomainError(
            MISTYPED,
            {
                "code": [
                    N_(
                        "%(count)s characters; a ticket code has %(length)s.",
                        count=len(compact),
                        length=LENGTH,
                    )
                ]
            },
        )
    if check_character(compact[:RANDOM_LENGTH]) != compact[RANDOM_LENGTH]:
        raise DomainError(MISTYPED, {"code": [N_("The check character does not match.")]})
    return compact


def lookup_codes(typed: str) -> tuple[str, ...]:
    """The stored codes that `typed` (typed or scanned) may be: a new code in any case, with or
    without spaces and dashes, in its stored form; an old code exactly as typed. DomainError
    (422, "mistyped") for letters and digits that cannot be a new code, before any lookup.
    Anything else (a scanned web address, say) is looked up as it is, and found by nothing."""
    typed = typed.strip()
    compact = _SEPARATORS.sub("", typed).upper()
    if LEGACY_CODE.fullmatch(typed):
        # An old code; a new one typed with odd dashes may look like one too.
        try:
            return (typed, _canonical(compact))
        except DomainError:
            return (typed,)
    if compact and _ALPHANUMERIC.fullmatch(compact):
        return (_canonical(compact),)
    return (typed,)
