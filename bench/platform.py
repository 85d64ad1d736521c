"""The whole platform as `make run` starts it, on fresh PostgreSQL databases, a private RabbitMQ
vhost (or broker), an aiosmtpd SMTP server and free ports: for benchmarks and drills.

    with platform_running() as platform:
        session_id = platform.publish_programme(capacity=100_000)
        platform.register("a@example.org", session_id)
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from bench.common import SmtpSink, database_backend_pids
from harness.haproxy import HAProxy
from harness.infra import (
    create_pg_database,
    create_vhost,
    delete_vhost,
    migrated_database,
)
from harness.stack import Stack
from services.notify.settings import NotifySettings

EVENT = "bench"
BERLIN = ZoneInfo("Europe/Berlin")
SERVICES = ("schedule", "registration", "notify")


def programme(capacity: int, sessions: int = 1) -> dict:
    """A programme a week from now: `sessions` one-hour sessions that need registration."""
    day = (datetime.now(UTC) + timedelta(days=7)).astimezone(BERLIN).date()
    first = datetime(day.year, day.month, day.day, 10, tzinfo=BERLIN)
    return {
        "format": "todo-programme/1",
        "event": {
            "slug": EVENT,
            "title": "Benchmark-Woche",
            "timezone": "Europe/Berlin",
            "starts_on": day.isoformat(),
            "ends_on": day.isoformat(),
            "address": "Kampstraße 1, 44137 Dortmund",
        },
        "stages": [
            {"guid": "roof", "name": "Baseology", "address": "Kampstraße 1", "capacity": capacity}
        ],
        "tracks": [{"slug": "digitalisierung", "name": "Digitalisierung", "color": "#0055aa"}],
        "sessions": [
            {
                "guid": f"bench-{n}",
                "title": f"Die Zukunft der Arbeit {n}",
                "stage": "roof",
                "tracks": ["digitalisierung"],
                "starts_at": (first + timedelta(hours=n)).isoformat(),
                "ends_at": (first + timedelta(hours=n, minutes=50)).isoformat(),
                "streamed": True,
                "registration": {"mode": "required", "capacity": None},
            }
            for n in range(sessions)
        ],
    }


class Platform:
    """A running platform; `stack` is the test suite's `Stack` (processes by name)."""

    def __init__(self, stack: Stack, smtp: SmtpSink, databases: dict[str, str], tmp: Path):
        self.stack = stack
        self.smtp = smtp
        self.databases = databases
        self.tmp = tmp
        self._local = threading.local()

    def url(self, service: str) -> str:
        return self.stack.url(service)

    def publish_programme(self, capacity: int, sessions: int = 1, wait: float = 60) -> list[int]:
        """Import and publish a programme of `sessions`; wait until registration and notify have
        the last one (unless `wait` is 0); returns the session ids."""
        path = self.tmp / "programme.json"
        path.write_text(json.dumps(programme(capacity, sessions)))
        self.stack.todo("import-programme", EVENT, str(path))
        self.stack.todo("publish", EVENT)
        listing = get_json(f"{self.url('schedule')}/api/v1/events/{EVENT}/programme")
        ids = [s["id"] for s in listing["sessions"]]
        if wait and not self.has_programme(ids, sessions, wait):
            raise RuntimeError(f"the programme did not reach registration and notify in {wait} s")
        return ids

    def has_programme(self, ids: list[int], sessions: int, wait: float) -> bool:
        """Whether registration and notify (within `wait` s) know the last session."""
        title = f"Die Zukunft der Arbeit {sessions - 1}"
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if get_json(self.availability_url(ids[-1])) and title in get_text(
                f"{self.url('notify')}/{EVENT}/calendar.ics"
            ):
                return True
            time.sleep(0.2)
        return False

    def pipeline_state(self) -> dict:
        """Where messages and mail are: unpublished outbox rows, queue depths, mail by state."""
        from sqlalchemy import func, select

        from harness.bus import queue_depth
        from services.notify.models import OutgoingMail
        from services.registration.models import OutboxMessage as RegistrationOutbox
        from shared.db import Database

        state: dict = {}
        registration = Database(self.databases["registration"], pool_size=1)
        notify = Database(self.databases["notify"], pool_size=1)
        try:
            with registration.transaction() as session:
                state["registration_outbox_unpublished"] = session.scalar(
                    select(func.count())
                    .select_from(RegistrationOutbox)
                    .where(RegistrationOutbox.published_at.is_(None))
                )
            with notify.transaction() as session:
                state["notify_mail_by_state"] = dict(
                    session.execute(
                        select(OutgoingMail.state, func.count()).group_by(OutgoingMail.state)
                    ).all()
                )
        finally:
            registration.dispose()
            notify.dispose()
        amqp_url = self.stack.env["AMQP_URL"]
        for queue in ("notify.tickets", "notify.tickets.dead", "registration.programme.dead"):
            state[f"queue {queue}"] = queue_depth(amqp_url, queue)
        return state

    def availability_url(self, session_id: int) -> str:
        return (
            f"{self.url('registration')}/api/v1/events/{EVENT}/sessions/{session_id}/availability"
        )

    def register(
        self, email: str, session_ids: list[int], name: str = "", timeout: float = 30, **extra
    ) -> tuple[int, dict | None]:
        """POST a registration over a keep-alive connection of this thread; (status, body).
        Connection errors give status 0."""
        body = json.dumps(
            {
                "name": name or f"Bench {email.split('@')[0]}",
                "email": email,
                "sessions": session_ids,
                "locale": "de",
                "consent": True,
                **extra,
            }
        )
        headers = {"Content-Type": "application/json", "Idempotency-Key": email}
        for attempt in range(2):
            connection = self._connection(timeout)
            try:
                connection.request("POST", f"/api/v1/events/{EVENT}/registrations", body, headers)
                response = connection.getresponse()
                raw = response.read()
                try:
                    return response.status, json.loads(raw)
                except ValueError:
                    return response.status, None
            except (OSError, http.client.HTTPException):
                connection.close()
                self._local.connection = None
                if attempt:
                    return 0, None
        return 0, None

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.stack.ports["registration"], timeout=timeout
            )
            self._local.connection = connection
        return connection

    def database_backend_pids(self) -> list[int]:
        """PostgreSQL's server processes working for the platform's three databases."""
        from sqlalchemy.engine import make_url

        from shared.db import Database

        db = Database(self.databases["registration"], pool_size=1)
        try:
            names = [make_url(url).database for url in self.databases.values()]
            return database_backend_pids(db.engine, names)
        finally:
            db.dispose()

    def service_pids(self) -> dict[str, list[int]]:
        """The root process ids of each service (web server, relay, consumer, workers)."""
        groups: dict[str, list[int]] = {s: [] for s in SERVICES}
        for name, process in self.stack.processes.items():
            groups[name.split("-", 1)[0]].append(process.pid)
        return groups


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except (urllib.error.HTTPError, OSError, ValueError):
        return None


def get_text(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode().replace("\r\n ", "")
    except (urllib.error.HTTPError, OSError, ValueError):
        return ""


def get_status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@contextlib.contextmanager
def platform_running(
    *,
    amqp_url: str | None = None,
    pg_admin_url: str | None = None,
    pg_standby_port: int | None = None,
    instances: int = 1,
    web_workers: int = 2,
    web_threads: int = 8,
    keep_logs: bool = False,
    **extra_env: str,
) -> Iterator[Platform]:
    """Start every process of the platform; stop them and drop the databases afterwards.

    `amqp_url` (default: a fresh vhost on the test broker) and `pg_admin_url` (default: the
    test PostgreSQL) let drills put the platform on private servers they may stop; with
    `pg_standby_port`, the platform is told of the standby too (libpq's multi-host URL, writes
    on whichever of them takes them). `instances` runs every process that many times, the web
    services behind HAProxy."""
    # As `make run` has it (the test stack runs one sender).
    extra_env.setdefault("NOTIFY_MAIL_PROCESSES", str(NotifySettings().mail_processes))
    tmp = Path(tempfile.mkdtemp(prefix="platform-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(lambda: keep_logs or shutil.rmtree(tmp, ignore_errors=True))
        if amqp_url is None:
            vhost, amqp_url = _retrying(create_vhost)
            cleanup.callback(delete_vhost, vhost)
        databases = {}
        for service in SERVICES:
            url = _create_database(service, pg_admin_url)
            cleanup.callback(_drop_database, url, pg_admin_url)
            migrated_database(service, url).dispose()
            databases[service] = (
                url if pg_standby_port is None else with_standby(url, pg_standby_port)
            )
        smtp = cleanup.enter_context(SmtpSink())
        stack = Stack(
            databases,
            amqp_url,
            tmp / "var",
            instances,
            SMTP_URL=smtp.url,
            WEB_WORKERS=str(web_workers),
            WEB_THREADS=str(web_threads),
            REGISTRATION_RATE_LIMIT_PER_IP="100000000/minute",
            REGISTRATION_RATE_LIMIT_PER_EMAIL="100000/minute",
            MAIL_RETRY_BASE_SECONDS="1",
            **extra_env,
        )
        cleanup.callback(stack.stop)
        if instances > 1:
            balancer = HAProxy(
                {stack.ports[s]: stack.instance_ports[s] for s in SERVICES}, tmp
            ).start()
            cleanup.callback(balancer.stop)
        try:
            stack.start()
        except BaseException:
            print(stack.logs())
            raise
        yield Platform(stack, smtp, databases, tmp)


def with_standby(url: str, standby_port: int) -> str:
    """`url` (on 127.0.0.1) in libpq's multi-host form with the standby's port beside it."""
    parts = urlsplit(url)
    hosts = f"{parts.netloc},127.0.0.1:{standby_port}"
    return urlunsplit(parts._replace(netloc=hosts, query="target_session_attrs=read-write"))


def _retrying(action, attempts: int = 5):
    """rabbitmqctl fails now and then while the shared broker is busy; try a few times."""
    for attempt in range(attempts):
        try:
            return action()
        except subprocess.CalledProcessError:
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    return None


def _create_database(service: str, pg_admin_url: str | None) -> str:
    if pg_admin_url is None:
        return create_pg_database(f"b_{service}")
    from harness import infra

    saved = infra.PG_ADMIN_URL
    infra.PG_ADMIN_URL = pg_admin_url
    try:
        return infra.create_pg_database(f"d_{service}")
    finally:
        infra.PG_ADMIN_URL = saved


def _drop_database(url: str, pg_admin_url: str | None) -> None:
    from harness import infra

    saved = infra.PG_ADMIN_URL
    infra.PG_ADMIN_URL = pg_admin_url or saved
    try:
        with contextlib.suppress(Exception):
            infra.drop_pg_database(url)
    finally:
        infra.PG_ADMIN_URL = saved
