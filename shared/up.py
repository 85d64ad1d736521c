"""`todo up` (what `make run` runs): broker, migrations, bundled data, then every process.

The processes run under honcho in the foreground with their output interleaved; Ctrl-C (or
SIGTERM) stops them all.
"""

from __future__ import annotations

import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from urllib.parse import urlparse

import click
from honcho.manager import Manager
from honcho.printer import Printer

from shared.broker import broker_reachable
from shared.config import Config, read_environment
from shared.db import Database
from shared.migrate import upgrade
from shared.service import ServiceSpec, all_services

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


def ensure_broker(config: Config) -> None:
    """Make sure RabbitMQ answers; start a local rabbitmq-server when one is installed."""
    if broker_reachable(config.amqp_url):
        return
    host = urlparse(config.amqp_url).hostname or ""
    server = shutil.which("rabbitmq-server")
    if host not in LOCAL_HOSTS or server is None:
        raise click.ClickException(
            f"RabbitMQ is not reachable at {host or config.amqp_url}.\n"
            "Start one, for example:\n"
            "  sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached\n"
            "  or: docker run -d -p 5672:5672 -p 15672:15672 rabbitmq:3-management\n"
            "or point AMQP_URL at a running broker."
        )
    click.echo("RabbitMQ is not running; starting the local rabbitmq-server ...")
    subprocess.run([server, "-detached"], check=False)
    ctl = shutil.which("rabbitmqctl")
    if ctl:
        subprocess.run([ctl, "await_startup", "--timeout", "60"], check=False, capture_output=True)
    deadline = time.monotonic() + 60
    while not broker_reachable(config.amqp_url):
        if time.monotonic() > deadline:
            raise click.ClickException(
                "rabbitmq-server was started but does not answer; see its logs "
                "(/var/log/rabbitmq/) or run `rabbitmq-server` in a terminal to see why."
            )
        time.sleep(1)


def ensure_ports_free(config: Config) -> None:
    for service, port in config.ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((config.bind_host, port))
            except OSError:
                raise click.ClickException(
                    f"Port {port} for {service} is in use (is `make run` already running?). "
                    f"Stop the other program or set {service.upper()}_PORT."
                ) from None


def prepare(config: Config, specs: list[ServiceSpec]) -> None:
    for spec in specs:
        db = Database(config.database_url(spec.name), pool_size=2)
        upgrade(spec, db)
        db.dispose()
        click.echo(f"{spec.name}: database migrated")
    for spec in specs:
        if spec.bootstrap is not None:
            spec.bootstrap(config)


def processes(
    config: Config, specs: list[ServiceSpec], env: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Every process of the platform: name -> command. A worker run as several processes
    (`ServiceSpec.worker_processes`) is named `notify-mail`, `notify-mail-2`, ..."""
    env = read_environment() if env is None else env
    todo = [sys.executable, "-m", "shared.cli"]
    commands: dict[str, list[str]] = {}
    for spec in specs:
        commands[spec.name] = [*todo, "serve", spec.name]
        commands[f"{spec.name}-relay"] = [*todo, "relay", spec.name]
        if spec.handlers(config):
            commands[f"{spec.name}-consumer"] = [*todo, "consume", spec.name]
        counts = spec.worker_processes(env)
        for name, args in spec.workers.items():
            for number in range(1, max(1, counts.get(name, 1)) + 1):
                suffix = "" if number == 1 else f"-{number}"
                commands[f"{spec.name}-{name}{suffix}"] = [*todo, *args]
    return commands


def up(config: Config) -> int:
    specs = all_services()
    ensure_broker(config)
    ensure_ports_free(config)
    prepare(config, specs)
    manager = Manager(Printer(sys.stdout))
    for name, command in processes(config, specs).items():
        manager.add_process(name, "exec " + shlex.join(command), quiet=False)
    urls = config.service_urls
    click.echo(
        "\nto:DO platform is starting (Ctrl-C stops everything):\n"
        f"  programme     {urls['schedule']}/todo2024/\n"
        f"  street screen {urls['schedule']}/todo2024/screen/<stage guid>\n"
        f"  organisers    {urls['schedule']}/login  (todo create-organiser NAME)\n"
        f"  programme API {urls['schedule']}/api/v1/events/todo2024/programme\n"
        f"  schedule.xml  {urls['schedule']}/todo2024/schedule.xml\n"
        f"  register API  {urls['registration']}/api/v1/events/todo2024/registrations\n"
        f"  calendar      {urls['notify']}/todo2024/calendar.ics\n"
        f"  API docs      {urls['schedule']}/api/v1/openapi.json (likewise on each service)\n"
        f"  mail          {config.smtp_url or (config.var_dir / 'mail').as_posix() + '/ (Maildir)'}\n"
    )
    manager.loop()
    return manager.returncode or 0
