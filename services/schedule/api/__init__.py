"""HTTP API of the schedule service (flask-smorest blueprints under /api/v1)."""

from services.schedule.api import audit, draft, exports, live_control, programme

BLUEPRINTS: list = [programme.blp, draft.blp, live_control.blp, exports.blp, audit.blp]
