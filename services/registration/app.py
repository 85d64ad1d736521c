from flask import Flask, jsonify

from services.registration.api import BLUEPRINTS
from services.registration.errors import DomainError
from services.registration.limits import limiter
from services.registration.pages import pages
from services.registration.settings import Links, RegistrationSettings
from shared.config import Config
from shared.web import create_service_app, error_body


def _domain_error(error: DomainError):
    return jsonify(error_body(error.status, error.message, error.errors)), error.status


def create_app(config: Config | None = None, settings: RegistrationSettings | None = None) -> Flask:
    config = config or Config.from_env()
    app = create_service_app(
        "registration",
        config,
        title="Registration API",
        blueprints=BLUEPRINTS,
        page_blueprints=[pages],
    )
    app.extensions["registration_settings"] = settings or RegistrationSettings.from_env()
    app.extensions["registration_links"] = Links.from_config(config)
    app.config["RATELIMIT_STORAGE_URI"] = config.rate_limit_storage_url
    limiter.init_app(app)
    app.register_error_handler(DomainError, _domain_error)
    return app
