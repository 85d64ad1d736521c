"""HTTP API of the registration service (flask-smorest blueprints under /api/v1)."""

from services.registration.api.attendees import blp as attendees_blp
from services.registration.api.manage import blp as manage_blp
from services.registration.api.organiser import blp as organiser_blp
from services.registration.api.registrations import blp as registrations_blp
from services.registration.api.statistics import blp as statistics_blp

BLUEPRINTS: list = [registrations_blp, manage_blp, organiser_blp, attendees_blp, statistics_blp]
