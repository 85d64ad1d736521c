"""Configuration from the environment (DESIGN.md §3 names)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.notify.settings import NotifySettings
from services.registration.settings import RegistrationSettings
from shared.config import (
    KNOWN_DEVELOPMENT_KEYS,
    MIN_SECRET_KEY_LENGTH,
    SECRET_KEY_FILE,
    Config,
    ConfigError,
)


def test_defaults_are_the_embedded_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
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
            "SECRET_KEY": "k" * 40,
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


# -- SECRET_KEY ---------------------------------------------------------------------------------


def test_without_secret_key_a_local_platform_makes_one_key_in_var_for_every_process(tmp_path):
    env = {"TODO_VAR_DIR": str(tmp_path / "var")}
    first = Config.from_env(env)
    key_file = tmp_path / "var" / SECRET_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= MIN_SECRET_KEY_LENGTH
    assert first.secret_key not in KNOWN_DEVELOPMENT_KEYS
    assert Config.from_env(env).secret_key == first.secret_key
    assert Config.from_env({"TODO_VAR_DIR": str(tmp_path / "other")}).secret_key != first.secret_key
    assert Config().secret_key == "", "no key in the source"


def test_processes_starting_together_share_one_generated_key(tmp_path):
    env = {"TODO_VAR_DIR": str(tmp_path)}
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _n: Config.from_env(env).secret_key, range(16)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_KEY_FILE]


@pytest.mark.parametrize(
    "env",
    [
        {"BIND_HOST": "0.0.0.0"},
        {"BIND_HOST": "192.0.2.10"},
        {"PUBLIC_BASE_URL": "https://todo.example"},
        {"REGISTRATION_BASE_URL": "https://anmeldung.todo.example"},
        {"BIND_HOST": "0.0.0.0", "SCHEDULE_DATABASE_URL": "postgresql://u@db/schedule"},
    ],
)
def test_a_platform_reachable_from_outside_refuses_to_start_without_secret_key(tmp_path, env):
    with pytest.raises(ConfigError, match=r"SECRET_KEY is not set.*refusing to start"):
        Config.from_env({"TODO_VAR_DIR": str(tmp_path), **env})
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    key = secrets.token_urlsafe(48)
    assert (
        Config.from_env({"TODO_VAR_DIR": str(tmp_path), "SECRET_KEY": key, **env}).secret_key == key
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("dev-secret-change-me", "published development key"),
        ("change-me-in-production", "published development key"),
        ("hunter2", "too short"),
        ("x" * (MIN_SECRET_KEY_LENGTH - 1), "too short"),
    ],
)
@pytest.mark.parametrize("bind_host", ["127.0.0.1", "0.0.0.0"])
def test_a_known_or_short_secret_key_is_refused(tmp_path, key, message, bind_host):
    with pytest.raises(ConfigError, match=f"SECRET_KEY is (a )?{message}"):
        Config.from_env({"TODO_VAR_DIR": str(tmp_path), "SECRET_KEY": key, "BIND_HOST": bind_host})


def test_todo_refuses_to_start_in_public_without_secret_key(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "SECRET_KEY"},
        "TODO_VAR_DIR": str(tmp_path),
        "BIND_HOST": "0.0.0.0",
        "PUBLIC_BASE_URL": "https://todo.example",
        "SCHEDULE_DATABASE_URL": "postgresql://todo@127.0.0.1:1/schedule",
    }
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli", "serve", "schedule"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Error: SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
