"""docker-compose.yml runs what `make run` runs (no Docker engine here, so we read it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shared.config import Config, ConfigError
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


INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """What Compose makes of `${NAME}`, `${NAME:-default}` and `${NAME:?error}`."""

    def substitute(match: re.Match) -> str:
        name, kind, text = match.groups()
        if env.get(name):
            return env[name]
        if kind == "?":
            raise ValueError(f"{name}: {text}")
        return text if kind == "-" else ""

    return INTERPOLATION.sub(substitute, value)


SECRETS = {
    "SECRET_KEY": "s" * 48,
    "RABBITMQ_USER": "todo",
    "RABBITMQ_PASSWORD": "p4ssw0rd-from-the-environment",
}


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_its_secrets(missing):
    env = {name: value for name, value in SECRETS.items() if name != missing}
    services = compose()["services"]
    refusing = []
    for name in ("schedule", "rabbitmq", "prepare"):
        values = [str(v) for v in services[name].get("environment", {}).values()]
        if any(f"${{{missing}" in value for value in values):
            with pytest.raises(ValueError, match=missing):
                [interpolate(value, env) for value in values]
            refusing.append(name)
    assert "schedule" in refusing and "prepare" in refusing
    app_env = {
        k: interpolate(str(v), SECRETS) for k, v in services["schedule"]["environment"].items()
    }
    assert app_env["SECRET_KEY"] == SECRETS["SECRET_KEY"]
    assert app_env["AMQP_URL"].startswith("amqp://todo:p4ssw0rd-from-the-environment@rabbitmq:")
    rabbit = {
        k: interpolate(str(v), SECRETS) for k, v in services["rabbitmq"]["environment"].items()
    }
    assert rabbit == {
        "RABBITMQ_DEFAULT_USER": "todo",
        "RABBITMQ_DEFAULT_PASS": "p4ssw0rd-from-the-environment",
    }


def test_the_app_containers_start_with_the_secret_key_and_only_with_it(tmp_path):
    app_env = compose()["services"]["schedule"]["environment"]
    env = {k: interpolate(str(v), SECRETS) for k, v in app_env.items()}
    env["TODO_VAR_DIR"] = str(tmp_path)
    assert Config.from_env(env).secret_key == SECRETS["SECRET_KEY"]
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        Config.from_env({k: v for k, v in env.items() if k != "SECRET_KEY"})


def test_only_the_three_services_are_published_beyond_this_machine():
    published = {}
    for name, service in compose()["services"].items():
        for mapping in service.get("ports", []):
            published[name] = [*published.get(name, []), str(mapping)]
    public = {
        name: mapping
        for name, mappings in published.items()
        for mapping in mappings
        if not mapping.startswith("127.0.0.1:")
    }
    assert public == {"schedule": "8001:8001", "registration": "8002:8002", "notify": "8003:8003"}
    assert published["mailpit"] == ["127.0.0.1:8025:8025"]
    assert published["rabbitmq"] == ["127.0.0.1:15672:15672"]
