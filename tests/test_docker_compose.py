"""docker-compose.yml runs what `make run` runs, and docker-compose.cluster.yml the same on a
RabbitMQ cluster behind HAProxy (no Docker engine here, so we read them)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from shared.config import DEFAULT_PORTS, Config, ConfigError, broker_urls
from shared.service import all_services
from shared.up import processes

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"
CLUSTER = COMPOSE.parent / "docker-compose.cluster.yml"
HAPROXY_CFG = COMPOSE.parent / "docker" / "haproxy.cfg"
RABBITMQ_CLUSTER_CONF = COMPOSE.parent / "docker" / "rabbitmq-cluster.conf"


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


def published(services: dict) -> dict[str, list[str]]:
    """Service -> the port mappings it publishes."""
    return {
        name: [str(mapping) for mapping in service["ports"]]
        for name, service in services.items()
        if service.get("ports")
    }


def beyond_this_machine(services: dict) -> dict[str, list[str]]:
    return {
        name: public
        for name, mappings in published(services).items()
        if (public := [m for m in mappings if not m.startswith("127.0.0.1:")])
    }


def test_only_the_three_services_are_published_beyond_this_machine():
    services = compose()["services"]
    assert beyond_this_machine(services) == {
        name: [f"{port}:{port}"] for name, port in DEFAULT_PORTS.items()
    }
    assert published(services)["mailpit"] == ["127.0.0.1:8025:8025"]
    assert published(services)["rabbitmq"] == ["127.0.0.1:15672:15672"]


# The cluster setup: `docker compose -f docker-compose.yml -f docker-compose.cluster.yml up`.

RESET = object()


@dataclass(frozen=True)
class Override:
    value: object


class ComposeLoader(yaml.SafeLoader):
    """YAML with Compose's merge tags: `!reset` drops what an earlier file set, `!override`
    replaces it."""


ComposeLoader.add_constructor("!reset", lambda loader, node: RESET)
ComposeLoader.add_constructor(
    "!override", lambda loader, node: Override(loader.construct_mapping(node, deep=True))
)


def merged(earlier, later):
    """What Compose makes of a value and a later file's value for it: mappings merge key by key,
    sequences (ports, volumes) are appended to, a scalar is replaced."""
    if isinstance(later, Override):
        return later.value
    if isinstance(earlier, dict) and isinstance(later, dict):
        result = dict(earlier)
        for key, value in later.items():
            if value is RESET:
                result.pop(key, None)
            else:
                result[key] = merged(earlier.get(key), value)
        return result
    if isinstance(earlier, list) and isinstance(later, list):
        return [*earlier, *(item for item in later if item not in earlier)]
    return later


def cluster_project() -> dict:
    project = merged(compose(), yaml.load(CLUSTER.read_text(), ComposeLoader))
    # No profile is enabled: a service that has one does not start.
    project["services"] = {
        name: service
        for name, service in project["services"].items()
        if not service.get("profiles")
    }
    return project


def cluster_services() -> dict:
    return cluster_project()["services"]


NODES = ["rabbitmq-1", "rabbitmq-2", "rabbitmq-3"]
CLUSTER_SECRETS = {**SECRETS, "RABBITMQ_ERLANG_COOKIE": "c" * 64}


def app_services(services: dict) -> dict:
    """The services that run a `todo` command other than `prepare`."""
    return {
        name: service
        for name, service in services.items()
        if name != "prepare" and service.get("command", [""])[0] == "todo"
    }


def test_the_cluster_runs_every_process_of_make_run_two_of_each_server_relay_consumer_mailer():
    single, cluster = compose()["services"], cluster_services()
    assert app_services(cluster).keys() == app_services(single).keys()
    assert "rabbitmq" not in cluster
    for name, service in app_services(cluster).items():
        assert service["command"] == single[name]["command"], name
        kind = service["command"][1]
        twice = kind in ("serve", "relay", "consume", "send-mail")
        assert service.get("deploy", {}).get("replicas", 1) == (2 if twice else 1), name


def rabbitmq_conf() -> dict[str, str]:
    lines = RABBITMQ_CLUSTER_CONF.read_text().splitlines()
    return dict(
        (part.strip() for part in line.split("=", 1))
        for line in lines
        if line.strip() and not line.startswith("#")
    )


def test_three_rabbitmq_nodes_form_one_cluster_with_one_cookie():
    services = cluster_services()
    conf = rabbitmq_conf()
    assert conf["cluster_formation.peer_discovery_backend"] == "classic_config"
    listed = {v for k, v in conf.items() if k.startswith("cluster_formation.classic_config.nodes.")}
    assert listed == {f"rabbit@{node}" for node in NODES}
    data_volumes = set()
    for node in NODES:
        service = services[node]
        # The node name rabbit@<hostname> is the one the others look for.
        assert service["hostname"] == node
        assert service["image"] == compose()["services"]["rabbitmq"]["image"]
        assert "rabbitmq-diagnostics" in service["healthcheck"]["test"]
        assert (
            "./docker/rabbitmq-cluster.conf:/etc/rabbitmq/conf.d/30-cluster.conf:ro"
            in service["volumes"]
        )
        (data,) = [v for v in service["volumes"] if v.endswith(":/var/lib/rabbitmq")]
        data_volumes.add(data.split(":")[0])
        assert service["environment"]["RABBITMQ_ERLANG_COOKIE"].startswith(
            "${RABBITMQ_ERLANG_COOKIE:?"
        )
        env = {k: interpolate(str(v), CLUSTER_SECRETS) for k, v in service["environment"].items()}
        assert env["RABBITMQ_ERLANG_COOKIE"] == CLUSTER_SECRETS["RABBITMQ_ERLANG_COOKIE"]
        without_cookie = {k: v for k, v in CLUSTER_SECRETS.items() if k != "RABBITMQ_ERLANG_COOKIE"}
        with pytest.raises(ValueError, match="RABBITMQ_ERLANG_COOKIE"):
            interpolate(service["environment"]["RABBITMQ_ERLANG_COOKIE"], without_cookie)
    assert len(data_volumes) == len(NODES)
    assert data_volumes <= cluster_project()["volumes"].keys()


def test_every_process_of_the_cluster_uses_all_three_nodes_and_quorum_queues(tmp_path):
    services = cluster_services()
    for name, service in {**app_services(services), "prepare": services["prepare"]}.items():
        env = {k: interpolate(str(v), CLUSTER_SECRETS) for k, v in service["environment"].items()}
        env["TODO_VAR_DIR"] = str(tmp_path)
        config = Config.from_env(env)
        nodes = broker_urls(config.amqp_url)
        assert [urlsplit(url).hostname for url in nodes] == NODES, name
        assert {urlsplit(url).username for url in nodes} == {SECRETS["RABBITMQ_USER"]}, name
        assert config.amqp_queue_type == "quorum", name


def test_the_processes_start_once_the_whole_cluster_is_up():
    services = cluster_services()
    for name, service in app_services(services).items():
        depends_on = service["depends_on"]
        assert depends_on.keys() <= services.keys(), name
        assert depends_on["prepare"] == {"condition": "service_completed_successfully"}, name
        for node in NODES:
            assert depends_on[node] == {"condition": "service_healthy"}, name


def haproxy_sections() -> dict[tuple[str, str], list[str]]:
    """(`backend`, `schedule`) -> the section's lines, without comments."""
    sections: dict[tuple[str, str], list[str]] = {}
    lines: list[str] = []
    for line in HAPROXY_CFG.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if line[0].isspace():
            lines.append(text)
        else:
            kind, _, name = text.partition(" ")
            lines = sections[kind, name] = []
    return sections


def haproxy_defaults(sections: dict[tuple[str, str], list[str]]) -> list[str]:
    (lines,) = [lines for (kind, _), lines in sections.items() if kind == "defaults"]
    return lines


def test_haproxy_balances_two_instances_of_each_web_service_that_are_ready():
    sections = haproxy_sections()
    defaults = haproxy_defaults(sections)
    assert "option httpchk GET /readyz" in defaults
    assert any(
        line.startswith("default-server") and "resolvers docker" in line for line in defaults
    )
    assert "nameserver dns 127.0.0.11:53" in sections[("resolvers", "docker")]
    frontend = sections[("frontend", "web")]
    assert {line for line in frontend if line.startswith("bind ")} == {
        f"bind :{port}" for port in DEFAULT_PORTS.values()
    }
    for service, port in DEFAULT_PORTS.items():
        assert f"use_backend {service} if {{ dst_port {port} }}" in frontend
        (template,) = sections[("backend", service)]
        assert template.split()[2:5] == ["2", f"{service}:{port}", "check"]
    haproxy = cluster_services()["haproxy"]
    assert haproxy["image"] == "haproxy:2.6"
    assert "./docker/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in haproxy["volumes"]


def test_haproxy_replays_only_what_is_safe_to_replay():
    sections = haproxy_sections()
    defaults = haproxy_defaults(sections)
    (retry_on,) = [line.split()[1:] for line in defaults if line.startswith("retry-on ")]
    # conn-failure: the request was never sent. Anything else replays a request an instance
    # may have carried out: only GET and HEAD (a POST is the client's, with its Idempotency-Key).
    assert set(retry_on) - {"conn-failure"} <= {"empty-response"}
    assert "http-request disable-l7-retry unless METH_GET" in sections[("frontend", "web")]
    assert any(line.startswith("option redispatch") for line in defaults)


def test_the_web_processes_believe_haproxy_and_only_haproxy(tmp_path):
    sections = haproxy_sections()
    assert "option forwardfor" in haproxy_defaults(sections)
    frontend = sections[("frontend", "web")]
    assert "http-request set-header X-Forwarded-Proto http" in frontend
    assert "http-request set-header X-Forwarded-Host %[req.hdr(host)]" in frontend
    services = cluster_services()
    for service in DEFAULT_PORTS:
        env = {
            k: interpolate(str(v), CLUSTER_SECRETS)
            for k, v in services[service]["environment"].items()
        }
        env["TODO_VAR_DIR"] = str(tmp_path)
        assert Config.from_env(env).trusted_proxies == 1, service


def test_in_the_cluster_haproxy_publishes_the_three_services_instead_of_them():
    services = cluster_services()
    assert beyond_this_machine(services) == {
        "haproxy": [f"{port}:{port}" for port in DEFAULT_PORTS.values()]
    }
    assert published(services)["mailpit"] == ["127.0.0.1:8025:8025"]
    assert published(services)["rabbitmq-1"] == ["127.0.0.1:15672:15672"]


@pytest.mark.skipif(
    shutil.which("haproxy") is None,
    reason="haproxy is not installed (make test installs it)",
)
def test_haproxy_accepts_its_configuration():
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(HAPROXY_CFG)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
