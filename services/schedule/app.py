from flask import Flask

from services.schedule.api import BLUEPRINTS
from services.schedule.pages import pages
from services.schedule.reads import ExportStore
from shared.config import Config
from shared.web import create_service_app


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = create_service_app(
        "schedule", config, title="Schedule API", blueprints=BLUEPRINTS, page_blueprints=[pages]
    )
    # Tests publish and read back at once; served for real, a second of lag saves a query.
    app.extensions["schedule_exports"] = ExportStore(
        app.extensions["todo_db"], head_ttl=0.0 if config.testing else 1.0
    )
    return app
