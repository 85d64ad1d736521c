"""The organisers' statistics as JSON: the figures of the statistics pages, from the same
domain functions (`services.registration.statistics`); no personal data."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.registration import statistics
from services.registration.models import ApiToken
from services.registration.schemas import EventStatisticsSchema, SessionStatisticsSchema
from shared.auth import organiser_required
from shared.web import db_session

blp = Blueprint(
    "statistics",
    __name__,
    url_prefix="/api/v1/events/<event>",
    description="Statistics for organisers (Authorization: Bearer TOKEN)",
)
organiser = organiser_required(ApiToken)


@blp.route("/statistics")
class EventStatistics(MethodView):
    @organiser("statistics.read")
    @blp.response(200, EventStatisticsSchema)
    def get(self, event: str):
        """The event's figures: registrations, seats, waiting lists, cancellations by reason,
        no-shows and check-ins; registrations over time, check-ins per 15 minutes, and per
        session its fill rate and the moment it filled. Times in the event's time zone."""
        return statistics.event_statistics(db_session(), event)


@blp.route("/sessions/<int:session_id>/statistics")
class SessionStatistics(MethodView):
    @organiser("statistics.read")
    @blp.response(200, SessionStatisticsSchema)
    @blp.alt_response(404, description="no such session in this event")
    def get(self, event: str, session_id: int):
        """One session's figures, registrations over time (with the moment it filled) and
        check-ins per 15 minutes."""
        return statistics.session_statistics(db_session(), event, session_id)
