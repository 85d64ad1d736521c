from flask import Flask, request

from services.registration.api import BLUEPRINTS
from services.registration.pages import pages
from services.registration.settings import Links, RegistrationSettings
from shared.config import Config
from shared.web import create_service_app

# Read-only public data that the schedule's programme page fetches from another origin.
CROSS_ORIGIN_ENDPOINTS = {"registrations.SessionAvailability"}


def _allow_cross_origin_reads(response):
    if request.endpoint in CROSS_ORIGIN_ENDPOINTS:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


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
    app.after_request(_allow_cross_origin_reads)
    return app
