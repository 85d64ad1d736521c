"""Configuration from the environment (DESIGN.md §3 names)."""

from __future__ import annotations

import pytest

from services.notify.settings import NotifySettings
from services.registration.settings import RegistrationSettings
from shared.config import Config


def test_defaults_are_the_embedded_ones():
    config = Config.from_env({})
    assert config.ports == {"schedule": 8001, "registration": 8002, "notify": 8003}
    assert config.database_urls["schedule"] == "sqlite:///var/schedule.db"
    assert config.amqp_url == "amqp://guest:guest@127.0.0.1:5672/%2F"
    assert config.smtp_url == ""
    assert config.public_base_url == "http://127.0.0.1:8001"


def test_environment_names_of_the_design():
    config = Config.from_env(
        {
            "SCHEDULE_PORT": "9001",
            "NOTIFY_DATABASE_URL": "postgresql://u@db/notify",
            "AMQP_URL": "amqp://x:y@broker:5672/%2F",
            "SMTP_URL": "smtps://u:p@mail:465",
            "PUBLIC_BASE_URL": "https://todo.example/",
            "TODO_VAR_DIR": "/srv/todo",
        }
    )
    assert config.ports["schedule"] == 9001
    assert config.service_urls["schedule"] == "http://127.0.0.1:9001"
    assert config.database_urls["notify"] == "postgresql://u@db/notify"
    assert config.database_urls["registration"] == "sqlite:////srv/todo/registration.db"
    assert config.amqp_url.startswith("amqp://x:y@broker")
    assert config.smtp_url == "smtps://u:p@mail:465"
    assert config.public_base_url == "https://todo.example"


@pytest.mark.parametrize(
    ("load", "env", "message"),
    [
        (
            Config.from_env,
            {"REGISTRATION_PORT": "eighty"},
            "REGISTRATION_PORT must be a whole number",
        ),
        (NotifySettings.from_env, {"MAIL_RATE_LIMIT": "fast"}, "MAIL_RATE_LIMIT must be a number"),
        (
            RegistrationSettings.from_env,
            {"REGISTRATION_HOLD_MINUTES": "1.5"},
            "REGISTRATION_HOLD_MINUTES must be a whole number",
        ),
    ],
)
def test_bad_numbers_are_named(load, env, message):
    with pytest.raises(ValueError, match=message):
        load(env)


def test_service_settings_read_the_same_environment():
    assert RegistrationSettings.from_env({"REGISTRATION_CONFIRM_EMAIL": "yes"}).confirm_email
    assert NotifySettings.from_env({"MAIL_MAX_ATTEMPTS": "3"}).mail_max_attempts == 3
