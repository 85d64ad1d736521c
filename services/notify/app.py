from flask import Flask

from services.notify.api import BLUEPRINTS
from shared.config import Config
from shared.web import create_service_app


def create_app(config: Config | None = None) -> Flask:
    return create_service_app(
        "notify", config or Config.from_env(), title="Notify API", blueprints=BLUEPRINTS
    )
