from flask import Flask

from services.notify.api import BLUEPRINTS
from services.notify.api.feeds import FeedFastPath
from services.notify.feeds import FeedContext
from services.notify.mails import Mailer
from services.notify.pages import pages
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.headers import public_headers
from shared.web import create_service_app


def create_app(config: Config | None = None, settings: NotifySettings | None = None) -> Flask:
    config = config or Config.from_env()
    app = create_service_app(
        "notify",
        config,
        title="Notify API",
        blueprints=BLUEPRINTS,
        page_blueprints=[pages],
    )
    app.extensions["notify_settings"] = settings = settings or NotifySettings.from_env()
    app.extensions["notify_mailer"] = Mailer(config)
    app.extensions["notify_feed_context"] = FeedContext.of(config, settings)
    app.extensions["notify_feed_cache"] = cache = {}
    app.wsgi_app = FeedFastPath(app.wsgi_app, cache, public_headers(config))
    return app
