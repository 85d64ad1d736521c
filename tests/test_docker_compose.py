"""docker-compose.yml runs what `make run` runs (no Docker engine here, so we read it)."""

from __future__ import annotations

from pathlib import Path

import yaml

from shared.config import Config
from shared.service import all_services
from shared.up import processes

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_process_of_make_run_is_a_compose_service_with_the_same_command():
    config = Config.from_env({})
    expected = {
        name: ["todo", *command[3:]] for name, command in processes(config, all_services()).items()
    }
    services = compose()["services"]
    # `todo up` names the replicas of a worker notify-mail, notify-mail-2, ...
    actual = {
        name if number == 1 else f"{name}-{number}": service["command"]
        for name, service in services.items()
        if name != "prepare" and service.get("command", [""])[0] == "todo"
        for number in range(1, service.get("deploy", {}).get("replicas", 1) + 1)
    }
    assert actual == expected
    assert services["prepare"]["command"] == ["todo", "prepare"]


def test_the_infrastructure_is_there():
    services = compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert "management" in services["rabbitmq"]["image"]
    assert "mailpit" in services["mailpit"]["image"]
    app_env = services["schedule"]["environment"]
    for name in (
        "SCHEDULE_DATABASE_URL",
        "REGISTRATION_DATABASE_URL",
        "NOTIFY_DATABASE_URL",
        "AMQP_URL",
        "SMTP_URL",
        "PUBLIC_BASE_URL",
    ):
        assert name in app_env, name
    assert app_env["SMTP_URL"].startswith("smtp://mailpit:")
    for database in ("schedule", "registration", "notify"):
        assert database in (COMPOSE.parent / "docker" / "postgres-init.sql").read_text()
