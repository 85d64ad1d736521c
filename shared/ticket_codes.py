"""The form of ticket codes that every service shows the same (issue 13): registration issues
and checks them (`services.registration.codes`), notify prints them in mails.

A new code is 10 random characters and a check character from ALPHABET, stored as one word and
printed in groups of four ("K7QF-M2XD-R9P"); codes issued before are printed as they are.
"""

from __future__ import annotations

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_LENGTH = 10
LENGTH = RANDOM_LENGTH + 1
GROUP = 4


def printed(code: str) -> str:
    """The code as printed and shown: new codes in groups of four, old ones as they are."""
    if len(code) != LENGTH or not set(code) <= set(ALPHABET):
        return code
    return "-".join(code[start : start + GROUP] for start in range(0, LENGTH, GROUP))
