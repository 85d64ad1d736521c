"""Private RabbitMQ and PostgreSQL servers that a drill may stop and restart.

The shared servers (RabbitMQ on 5672, PostgreSQL on 5432) belong to everyone's tests and are
never touched. These run as the `rabbitmq` / `postgres` users (when started as root) from a
temporary directory on ports below the ephemeral range, and are removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import free_port_below_ephemeral

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")


def _as_user(user: str, command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", user, "--", *command]


def _chown(path: Path, user: str) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        for root, dirs, files in os.walk(path):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.chown(name, entry.pw_uid, entry.pw_gid)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not reached in {timeout} s")
        time.sleep(0.2)


class PrivateRabbit:
    """A second RabbitMQ node (`drill-<id>@localhost`) with its own port and data directory."""

    def __init__(self):
        self.name = f"drill-{uuid.uuid4().hex[:6]}@localhost"
        self.dir = Path(tempfile.mkdtemp(prefix="drill-rabbit-"))
        self.port = free_port_below_ephemeral()
        self.dist_port = self.port + 1
        (self.dir / "enabled_plugins").write_text("[].\n")
        # The system's rabbitmq.conf names port 5672; this node gets its own config file.
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        _chown(self.dir, "rabbitmq")
        self.env = {
            **os.environ,
            "HOME": "/var/lib/rabbitmq",  # where the CLI's Erlang cookie lives
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
        }

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def ctl(self, *args: str, timeout: float = 60) -> str:
        return subprocess.run(
            ["rabbitmqctl", "-n", self.name, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout

    def start(self) -> PrivateRabbit:
        started = time.monotonic()
        subprocess.run(
            _as_user("rabbitmq", [str(RABBITMQ_SERVER), "-detached"]),
            env=self.env,
            check=True,
            cwd=self.dir,
        )
        wait_for(lambda: port_open(self.port), 120, f"RabbitMQ {self.name} listening")
        self.start_seconds = round(time.monotonic() - started, 1)
        return self

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        wait_for(lambda: port_open(self.port), 60, "RabbitMQ listening again")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.ctl("stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PrivateRabbit:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary directory, trust auth)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="drill-pg-"))
        self.data = self.dir / "data"
        self.port = free_port_below_ephemeral()
        _chown(self.dir, "postgres")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        subprocess.run(
            _as_user(
                "postgres",
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.dir / "log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    *args,
                ],
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> PrivatePostgres:
        subprocess.run(
            _as_user(
                "postgres",
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"],
            ),
            check=True,
            capture_output=True,
        )
        self._pg_ctl("start")
        return self

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._pg_ctl("-m", "fast", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
