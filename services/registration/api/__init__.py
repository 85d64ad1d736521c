"""HTTP API of the registration service (flask-smorest blueprints under /api/v1)."""

BLUEPRINTS: list = []
