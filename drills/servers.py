"""Private RabbitMQ nodes and clusters, PostgreSQL servers with a standby, and Redis, that a
drill may kill and restart.

The shared servers (RabbitMQ on 5672, PostgreSQL on 5432) belong to everyone's tests and are
never touched. These run as the `rabbitmq` / `postgres` users (when started as root) from a
temporary directory on ports below the ephemeral range, and are removed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port_below_ephemeral
from harness.infra import port_open, wait_until

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


class PrivateServer:
    """A server that is started on entering and stopped (and removed) on leaving, also when
    starting it failed half-way."""

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _wait_for(condition, timeout: float, what: str) -> None:
    wait_until(condition, timeout=timeout, interval=0.2, message=what)


class PrivateRabbit(PrivateServer):
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
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
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
        _wait_for(lambda: port_open(self.port), 120, f"RabbitMQ {self.name} listening")
        self.start_seconds = round(time.monotonic() - started, 1)
        return self

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        _wait_for(lambda: port_open(self.port), 60, "RabbitMQ listening again")

    @property
    def pid(self) -> int:
        """The node's Erlang VM (RABBITMQ_PID_FILE)."""
        return int((self.dir / "pid").read_text())

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM: no goodbye to clients or to the other nodes."""
        os.kill(self.pid, signal.SIGKILL)
        _wait_for(lambda: not port_open(self.port), 30, f"RabbitMQ {self.name} gone")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.ctl("stop")
        with contextlib.suppress(OSError, ValueError):
            os.kill(self.pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


class RabbitCluster(PrivateServer):
    """Private RabbitMQ nodes clustered with each other (never with the shared node)."""

    def __init__(self, size: int = 3):
        self.size = size
        self.nodes: list[PrivateRabbit] = []

    @property
    def amqp_url(self) -> str:
        """The cluster as the platform is told about it: every node, comma-separated."""
        return ",".join(node.amqp_url for node in self.nodes)

    def start(self) -> RabbitCluster:
        # One after the other: a node's port is free to take until the node before listens.
        for _ in range(self.size):
            node = PrivateRabbit()
            self.nodes.append(node)
            node.start()
            if len(self.nodes) > 1:
                node.ctl("stop_app")
                node.ctl("join_cluster", self.nodes[0].name)
                node.ctl("start_app")
        return self

    def alive(self) -> PrivateRabbit:
        return next(node for node in self.nodes if port_open(node.port))

    def connections_per_node(self) -> dict[str, int]:
        """Client connections on each node, by node name."""
        listed = self.alive().ctl("list_connections", "port", "--formatter", "json")
        ports = [info["port"] for info in json.loads(listed)]
        return {node.name: ports.count(node.port) for node in self.nodes}

    def quorum_queues(self, vhost: str = "/") -> dict[str, dict]:
        """Each queue's type, members and members online (quorum queues only have members)."""
        listed = self.alive().ctl(
            "list_queues", "-p", vhost, "name", "type", "members", "online", "--formatter", "json"
        )
        return {info.pop("name"): info for info in json.loads(listed)}

    def fully_replicated(self, vhost: str = "/") -> bool:
        names = sorted(node.name for node in self.nodes)
        queues = self.quorum_queues(vhost)
        return bool(queues) and all(
            sorted(info.get("members") or []) == names == sorted(info.get("online") or [])
            for info in queues.values()
        )

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()


class PrivatePostgres(PrivateServer):
    """A PostgreSQL cluster of its own (initdb in a temporary directory, trust auth), or with
    `standby_of`, a streaming standby of another one (pg_basebackup -R)."""

    def __init__(self, settings: tuple[str, ...] = (), standby_of: PrivatePostgres | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="drill-pg-"))
        self.data = self.dir / "data"
        self.port = free_port_below_ephemeral()
        self.settings = settings
        self.primary = standby_of
        _chown(self.dir, "postgres")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        options = " ".join(
            [
                f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                "-c max_connections=300",
                *(f"-c {setting}" for setting in self.settings),
            ]
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
        if self.primary is None:
            command = [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
            ]
        else:
            command = [
                str(PG_BIN / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
                *("-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast"),
            ]
        subprocess.run(_as_user("postgres", command), check=True, capture_output=True)
        self._pg_ctl("start")
        return self

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash of its machine would end it."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        _wait_for(lambda: not port_open(self.port), 30, "PostgreSQL gone")

    def promote(self) -> None:
        self._pg_ctl("promote")

    def replicating_synchronously(self) -> bool:
        """Whether a standby streams from this server as its synchronous standby."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            states = conn.execute("SELECT sync_state FROM pg_stat_replication").fetchall()
        return ("sync",) in states

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class PostgresPair:
    primary: PrivatePostgres
    standby: PrivatePostgres


@contextlib.contextmanager
def postgres_with_standby() -> Iterator[PostgresPair]:
    """A primary that commits only once its standby has the commit (synchronous replication),
    and that standby; the standby is promoted by the drill. The setting lives on the primary's
    command line, not in its data directory: the standby copies the data directory, and a
    promoted standby with `synchronous_standby_names` set would wait forever for a standby of
    its own."""
    primary = PrivatePostgres(settings=("synchronous_standby_names='*'",))
    with primary, PrivatePostgres(standby_of=primary) as standby:
        _wait_for(primary.replicating_synchronously, 60, "the standby replicating")
        yield PostgresPair(primary, standby)


class PrivateRedis(PrivateServer):
    """A Redis server of its own (Debian's redis-server), keeping nothing on disk."""

    def __init__(self):
        self.port = free_port_below_ephemeral()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait_for(lambda: port_open(self.port), 30, "Redis listening")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
