"""Server-rendered pages for attendees: manage a booking, confirm the email address."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("registration_pages", __name__, template_folder="templates")
