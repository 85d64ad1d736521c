"""HTTP API of the schedule service (flask-smorest blueprints under /api/v1)."""

BLUEPRINTS: list = []
