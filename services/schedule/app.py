from flask import Flask, jsonify

from services.schedule.api import BLUEPRINTS
from services.schedule.errors import ProgrammeError
from services.schedule.reads import ExportStore
from shared.config import Config
from shared.web import create_service_app, error_body


def _programme_error(error: ProgrammeError):
    return jsonify(error_body(error.status, error.message, error.errors)), error.status


def create_app(config: Config | None = None) -> Flask:
    app = create_service_app(
        "schedule", config or Config.from_env(), title="Schedule API", blueprints=BLUEPRINTS
    )
    app.extensions["schedule_exports"] = ExportStore(app.extensions["todo_db"])
    app.register_error_handler(ProgrammeError, _programme_error)
    return app
