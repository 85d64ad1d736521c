"""Errors of the programme's domain functions; the HTTP layer turns them into JSON 4xx answers."""

from __future__ import annotations


class ProgrammeError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidProgramme(ProgrammeError):
    """The change would make the programme inconsistent; `errors` maps fields to reasons."""

    status = 422

    def __init__(
        self, errors: dict, message: str = "Die Eingaben sind ungültig. / The input is invalid."
    ):
        super().__init__(message, errors)


class ProgrammeConflict(ProgrammeError):
    """The change is valid in itself but conflicts with the stored state."""

    status = 409


class NothingChanged(ProgrammeConflict):
    def __init__(self, number: int):
        super().__init__(
            f"Seit Release {number} hat sich nichts geändert. / Nothing changed since release {number}."
        )
        self.number = number
