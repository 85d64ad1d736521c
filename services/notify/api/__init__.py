"""HTTP API of the notify service (flask-smorest blueprints under /api/v1)."""

BLUEPRINTS: list = []
