"""`todo up` (what `make run` runs): broker, migrations, bundled data, then every process.

The processes run under honcho in the foreground with their output interleaved. A process
that exits on its own is started again after a back-off, so one crashed worker never stops the
platform; Ctrl-C (or SIGTERM) stops them all. Nothing printed carries a password.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from urllib.parse import urlparse

import click
from honcho.manager import KILL_WAIT, SIGNALS, Manager
from honcho.printer import Printer

from shared.broker import broker_reachable
from shared.config import Config, broker_urls, read_environment
from shared.db import Database
from shared.logging import redact_url
from shared.migrate import upgrade
from shared.service import ServiceSpec, all_services

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


def ensure_broker(config: Config) -> None:
    """Make sure RabbitMQ answers; start a local rabbitmq-server when one is installed."""
    if broker_reachable(config.amqp_url):
        return
    nodes = broker_urls(config.amqp_url)
    host = urlparse(nodes[0]).hostname or ""
    server = shutil.which("rabbitmq-server")
    # A cluster's nodes are started by whoever runs them, not by `make run`.
    if len(nodes) > 1 or host not in LOCAL_HOSTS or server is None:
        raise click.ClickException(
            f"RabbitMQ is not reachable at {host or redact_url(config.amqp_url)}.\n"
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
        spec.run_bootstrap(config)


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
        if spec.consumes:
            commands[f"{spec.name}-consumer"] = [*todo, "consume", spec.name]
        counts = spec.worker_processes(env)
        for name, args in spec.workers.items():
            for number in range(1, max(1, counts.get(name, 1)) + 1):
                suffix = "" if number == 1 else f"-{number}"
                commands[f"{spec.name}-{name}{suffix}"] = [*todo, *args]
    return commands


class RestartingManager(Manager):
    """honcho's Manager, except that a process that exits while the platform runs is started
    again instead of stopping all others: after `first_delay` seconds, doubling up to
    `most_delay` while it keeps exiting within `steady_after` seconds of its start. Ctrl-C or
    SIGTERM stops every process; `returncode` stays None then, since that stop was asked for.
    A process that exits with `os.EX_CONFIG` cannot run as configured (it said why): starting
    it again would only repeat that, so everything stops and `returncode` is EX_CONFIG."""

    def __init__(
        self,
        printer: Printer,
        *,
        first_delay: float = 1.0,
        most_delay: float = 60.0,
        steady_after: float = 60.0,
    ):
        super().__init__(printer)
        self.first_delay = first_delay
        self.most_delay = most_delay
        self.steady_after = steady_after
        self._started_at: dict[str, float] = {}
        self._delay: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}

    def loop(self) -> None:
        def stop(signum, _frame):
            self._system_print(f"{SIGNALS[signum]['name']} received, stopping everything\n")
            self.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self._start()
        for name in self._processes:
            self._started_at[name] = time.monotonic()
        kill_at = None
        while True:
            with contextlib.suppress(queue.Empty):
                self._handle(self.events.get(timeout=0.1))
            if not self._terminating:
                self._restart_due()
                continue
            if self._all_stopped():
                return
            kill_at = kill_at or time.monotonic() + KILL_WAIT
            if time.monotonic() > kill_at:
                # SIGKILL cannot be ignored: once is enough (honcho repeats it every 0.1 s).
                self.kill()
                kill_at = float("inf")

    def _handle(self, message) -> None:
        process = self._processes.get(message.name)
        if message.type == "line":
            self._printer.write(message)
        elif message.type == "start":
            process["pid"] = message.data["pid"]
            self._system_print(f"{message.name} started (pid={message.data['pid']})\n")
            if self._terminating:  # started while everything stops
                self._procmgr.terminate(process["pid"])
        elif message.type == "stop":
            process["returncode"] = message.data["returncode"]
            if self._terminating:
                self._system_print(f"{message.name} stopped (rc={message.data['returncode']})\n")
                return
            if message.data["returncode"] == os.EX_CONFIG:
                self._system_print(
                    f"{message.name} cannot run with this configuration (see above); "
                    "stopping everything\n"
                )
                self.returncode = os.EX_CONFIG
                self.terminate()
                return
            ran = time.monotonic() - self._started_at[message.name]
            previous = self._delay.get(message.name)
            if previous is None or ran >= self.steady_after:
                delay = self.first_delay
            else:
                delay = min(previous * 2, self.most_delay)
            self._delay[message.name] = delay
            self._restart_at[message.name] = time.monotonic() + delay
            self._system_print(
                f"{message.name} exited (rc={message.data['returncode']}) after {ran:.0f} s; "
                f"restarting it in {delay:g} s\n"
            )

    def _restart_due(self) -> None:
        now = time.monotonic()
        for name, at in list(self._restart_at.items()):
            if at > now:
                continue
            del self._restart_at[name]
            process = self._processes[name]
            process.pop("pid", None)
            process.pop("returncode", None)
            process["process"] = multiprocessing.Process(
                name=name, target=process["obj"].run, args=(self.events, True)
            )
            process["process"].start()
            self._started_at[name] = now

    def _killall(self, force: bool = False) -> None:
        # A process restarting right now has no pid yet: it is stopped when it reports one.
        for name, process in self._processes.items():
            if "returncode" in process or "pid" not in process:
                continue
            signame = "SIGKILL" if force else "SIGTERM"
            self._system_print(f"sending {signame} to {name} (pid {process['pid']})\n")
            if force:
                self._procmgr.kill(process["pid"])
            else:
                self._procmgr.terminate(process["pid"])


def banner(config: Config) -> str:
    urls = config.service_urls
    mail = redact_url(config.smtp_url) or (config.var_dir / "mail").as_posix() + "/ (Maildir)"
    return (
        "\nto:DO platform is starting (Ctrl-C stops everything):\n"
        f"  programme     {urls['schedule']}/todo2024/\n"
        f"  street screen {urls['schedule']}/todo2024/screen/<stage guid>\n"
        f"  organisers    {urls['schedule']}/login  (todo create-organiser NAME)\n"
        f"  programme API {urls['schedule']}/api/v1/events/todo2024/programme\n"
        f"  schedule.xml  {urls['schedule']}/todo2024/schedule.xml\n"
        f"  register API  {urls['registration']}/api/v1/events/todo2024/registrations\n"
        f"  calendar      {urls['notify']}/todo2024/calendar.ics\n"
        f"  API docs      {urls['schedule']}/api/v1/openapi.json (likewise on each service)\n"
        f"  mail          {mail}\n"
        f"  broker        {redact_url(config.amqp_url)}\n"
    )


def up(config: Config) -> int:
    specs = all_services()
    ensure_broker(config)
    ensure_ports_free(config)
    prepare(config, specs)
    manager = RestartingManager(Printer(sys.stdout))
    for name, command in processes(config, specs).items():
        manager.add_process(name, "exec " + shlex.join(command), quiet=False)
    click.echo(banner(config))
    manager.loop()
    return manager.returncode or 0
