"""The whole platform as `make run` starts it, on test databases, a test vhost and free ports."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from harness.infra import wait_until
from shared.config import SERVICES, Config
from shared.service import all_services
from shared.up import processes

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with_the_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it is gone, so a killed
    test run or benchmark leaves no platform behind holding database connections."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready(port: int) -> bool:
    """Whether the web service on `port` answers /readyz with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Stack:
    """Every process of the platform, `instances` times each (`registration`, `registration@2`,
    ...; `-2` is `todo up`'s name for a worker's second process). With more than one instance,
    each web instance listens on a port of its own (`instance_ports`), and `ports` are for a
    load balancer the caller puts in front (harness.haproxy)."""

    def __init__(
        self,
        databases: dict[str, str],
        amqp_url: str,
        var_dir: Path,
        instances: int = 1,
        **extra_env: str,
    ):
        self.ports = {service: free_port() for service in SERVICES}
        self.instance_ports = {
            service: [port] if instances == 1 else [free_port() for _ in range(instances)]
            for service, port in self.ports.items()
        }
        self.instances = instances
        self.env = {
            **os.environ,
            "AMQP_URL": amqp_url,
            "TODO_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "INFO",
            "WEB_WORKERS": "1",
            "WEB_THREADS": "4",
            # One sender is plenty for a test's few mails, and one process less to start.
            "NOTIFY_MAIL_PROCESSES": "1",
            **{f"{s.upper()}_DATABASE_URL": url for s, url in databases.items()},
            **{f"{s.upper()}_PORT": str(port) for s, port in self.ports.items()},
            **extra_env,
        }
        self.log_dir = var_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def todo(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "shared.cli", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def start(self, only: tuple[str, ...] | None = None) -> Stack:
        config = Config.from_env(self.env)
        for name, command in processes(config, all_services(), self.env).items():
            if only is not None and name not in only:
                continue
            for number in range(1, self.instances + 1):
                port = self.instance_ports.get(name, [])
                self.commands[name if number == 1 else f"{name}@{number}"] = (
                    command,
                    {f"{name.upper()}_PORT": str(port[number - 1])} if port else {},
                )
        for name in self.commands:
            self.start_process(name)
        for service in SERVICES:
            for port in self.instance_ports[service]:
                wait_until(lambda p=port: ready(p), timeout=60, message=f"{service} :{port} ready")
        return self

    def start_process(self, name: str) -> None:
        """Start (or start again) the process `name` of `start`."""
        command, env = self.commands[name]
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_the_parent,
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.log_dir.glob("*.log"))
        )
