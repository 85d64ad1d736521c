"""Errors of the registration domain; the app turns them into JSON error answers."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; `errors` maps field names to messages (German / English)."""

    status = 422

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409
