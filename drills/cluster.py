"""The drills beyond one machine: a three-node RabbitMQ cluster with quorum queues, a PostgreSQL
primary with a synchronous standby, rate limits counted in Redis, and two of every process, the
web services behind HAProxy.

Each drill breaks one thing during a registration rush whose clients try again, with the same
Idempotency-Key, when they get no answer or a 502/503/504 (as a person clicking again would),
and counts what every registration and every mail came to.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from bench.platform import EVENT, Platform, platform_running
from drills.scenarios import (
    CAPACITY,
    DRILL_ENV,
    RATE,
    DrillResult,
    RegistrationStream,
    allow_doubled,
    kill_and_restart,
    publish_raw,
    tally_mails,
)
from drills.servers import (
    PostgresPair,
    PrivateRedis,
    RabbitCluster,
    postgres_with_standby,
)
from harness.bus import queue_depth
from harness.infra import wait_until
from shared.broker import DELIVERY_LIMIT
from shared.messages.registration import TICKET_CONFIRMED

RETRIES = 20
# A mail sender records each outcome without waiting for the flush to disk or to the standby
# (services/notify/delivery.py): what the primary took in its last WAL writer cycle (200 ms)
# before it died is gone, and those mails are sent again. At RATE that is at most:
ASYNCHRONOUS_RECORDS = RATE // 2
NOTIFY_CONSUMERS = ("notify-consumer", "notify-consumer@2")


@dataclass
class ClusterGround:
    platform: Platform
    cluster: RabbitCluster
    postgres: PostgresPair
    session_id: int


@contextlib.contextmanager
def cluster_ground() -> Iterator[ClusterGround]:
    with (
        RabbitCluster(3) as cluster,
        postgres_with_standby() as postgres,
        PrivateRedis() as redis,
        platform_running(
            amqp_url=cluster.amqp_url,
            pg_admin_url=postgres.primary.admin_url,
            pg_standby_port=postgres.standby.port,
            instances=2,
            web_workers=1,
            web_threads=8,
            keep_logs=True,
            AMQP_QUEUE_TYPE="quorum",
            RATE_LIMIT_REDIS_URL=redis.url,
            NOTIFY_MAIL_PROCESSES="1",
            **DRILL_ENV,
        ) as platform,
    ):
        [session_id] = platform.publish_programme(capacity=CAPACITY)
        yield ClusterGround(platform, cluster, postgres, session_id)


def _answers_all_201(result: DrillResult, stream: RegistrationStream) -> None:
    result.counts["retried"] = len(stream.first_answers)
    result.counts["first_answers_retried"] = {
        str(status): n for status, n in sorted(Counter(stream.first_answers.values()).items())
    }
    not_201 = {e: s for e, s in stream.answers.items() if s != 201}
    if not_201:
        result.problems.append(f"{len(not_201)} registrations not answered 201 in the end")


def _seats_match_tickets(result: DrillResult, ground: ClusterGround, stream) -> None:
    """Every registration answered 201 holds one confirmed ticket with one seat, on whatever
    server is the primary now; no seat without a ticket, none beyond the capacity."""
    from sqlalchemy import func, select

    from services.registration.models import Attendee, Seat, Ticket
    from shared.db import Database

    db = Database(ground.platform.databases["registration"], pool_size=1)
    try:
        with db.transaction() as session:
            emails = set(
                session.scalars(
                    select(Attendee.email)
                    .join(Ticket, Ticket.attendee_id == Attendee.id)
                    .where(
                        Ticket.session_id == ground.session_id, Ticket.status == TICKET_CONFIRMED
                    )
                )
            )
            seats = session.scalar(
                select(func.count(Seat.ticket_id)).where(Seat.session_id == ground.session_id)
            )
    finally:
        db.dispose()
    registered = stream.registered()
    lost = registered - emails
    result.counts["confirmed_tickets"] = len(emails)
    result.counts["seats_taken"] = seats
    if lost:
        result.problems.append(f"{len(lost)} registrations answered 201 are not stored")
    if seats != len(emails) or seats > CAPACITY:
        result.problems.append(f"{seats} seats taken for {len(emails)} confirmed tickets")


def busiest_node_killed(ground: ClusterGround, scale: float = 1.0) -> DrillResult:
    """SIGKILL the RabbitMQ node most connections use during a rush; start it again later."""
    result = DrillResult("the busiest of 3 RabbitMQ nodes killed (SIGKILL) during a rush")
    p, cluster = ground.platform, ground.cluster
    with RegistrationStream(p, ground.session_id, RATE, "node", retries=RETRIES) as stream:
        time.sleep(2 + 3 * scale)
        before = cluster.connections_per_node()
        busiest = max(cluster.nodes, key=lambda node: before[node.name])
        busiest.kill()
        result.counts["connections_before"] = sorted(before.values(), reverse=True)
        time.sleep(2 + 8 * scale)
        result.counts["connections_while_down"] = sorted(
            cluster.connections_per_node().values(), reverse=True
        )
        busiest.start()
        time.sleep(2 + 3 * scale)
    tally_mails(result, p, stream, wait=60)
    _answers_all_201(result, stream)
    try:
        wait_until(
            cluster.fully_replicated, timeout=120, interval=1, message="every queue on 3 nodes"
        )
    except AssertionError as exc:
        result.problems.append(str(exc))
    queues = cluster.quorum_queues()
    result.counts["queues"] = len(queues)
    result.counts["queue_types"] = sorted({info["type"] for info in queues.values()})
    result.counts["queues_fully_replicated"] = sum(
        len(info.get("online") or []) == len(cluster.nodes) for info in queues.values()
    )
    if result.counts["queue_types"] != ["quorum"]:
        result.problems.append(f"queue types {result.counts['queue_types']}")
    return result


CRASH_ON_POISON = """
import os, sys
from shared.consumer import ConsumerRunner
deliver = ConsumerRunner.deliver

def crash_on_poison(self, channel, spec, method, properties, body):
    if (properties.message_id or "").startswith("crash-"):
        os._exit(70)
    return deliver(self, channel, spec, method, properties, body)

ConsumerRunner.deliver = crash_on_poison
from shared.cli import main
sys.exit(main(["consume", "notify"]))
"""


def poison_that_crashes_its_consumer(ground: ClusterGround, scale: float = 1.0) -> DrillResult:
    """A message that kills every notify consumer process that takes it (os._exit, as a crash
    in a C library or the kernel's OOM killer would), while registrations flow: the quorum
    queue's delivery limit dead-letters it, and everything else is handled once."""
    result = DrillResult(
        f"a message that crashes its consumer process, delivery limit {DELIVERY_LIMIT}"
    )
    p = ground.platform
    amqp_url = p.stack.env["AMQP_URL"]
    dead_before = queue_depth(amqp_url, "notify.tickets.dead")
    saved = {name: p.stack.commands[name] for name in NOTIFY_CONSUMERS}
    for name in NOTIFY_CONSUMERS:
        os.killpg(p.stack.processes[name].pid, signal.SIGTERM)
        p.stack.processes[name].wait(timeout=30)
        p.stack.commands[name] = ([sys.executable, "-c", CRASH_ON_POISON], saved[name][1])
        p.stack.start_process(name)
    crashes = 0
    try:
        with RegistrationStream(p, ground.session_id, 20, "crash", retries=RETRIES) as stream:
            time.sleep(2)
            _publish_poison(amqp_url)
            deadline = time.monotonic() + 300
            while queue_depth(amqp_url, "notify.tickets.dead") == dead_before:
                if time.monotonic() > deadline:
                    result.problems.append("the poison message was not dead-lettered in 300 s")
                    break
                for name in NOTIFY_CONSUMERS:
                    if p.stack.processes[name].poll() is not None:
                        crashes += 1
                        p.stack.start_process(name)
                time.sleep(0.1)
            time.sleep(max(2.0, 3 * scale))
    finally:
        for name in NOTIFY_CONSUMERS:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.stack.processes[name].pid, signal.SIGTERM)
            p.stack.processes[name].wait(timeout=30)
            p.stack.commands[name] = saved[name]
            p.stack.start_process(name)
    tally_mails(result, p, stream, wait=60)
    _answers_all_201(result, stream)
    result.counts["consumer_crashes"] = crashes
    result.counts["dead_lettered"] = queue_depth(amqp_url, "notify.tickets.dead") - dead_before
    if result.counts["dead_lettered"] != 1:
        result.problems.append(f"{result.counts['dead_lettered']} messages dead-lettered, not 1")
    return result


def _publish_poison(amqp_url: str) -> None:
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "registration.ticket.confirmed",
        "occurred_at": "2024-04-29T10:00:00+00:00",
        "schema_version": 1,
        "correlation_id": None,
        "data": {"event": EVENT},
    }
    publish_raw(amqp_url, [json.dumps(envelope).encode()], f"crash-{envelope['id']}")


def web_instance_killed(ground: ClusterGround, scale: float = 1.0) -> DrillResult:
    """One of the two registration web instances killed (SIGKILL) behind HAProxy during a rush,
    started again later: only the requests it had in hand fail, and their retries with the same
    Idempotency-Key register each person once."""
    result = DrillResult("one of 2 registration web instances killed behind HAProxy")
    p = ground.platform
    with RegistrationStream(p, ground.session_id, RATE, "web", retries=RETRIES) as stream:
        time.sleep(2 + 3 * scale)
        kill_and_restart(p, "registration", pause=2 + 8 * scale)
        time.sleep(2 + 3 * scale)
    tally_mails(result, p, stream, wait=60)
    _answers_all_201(result, stream)
    _seats_match_tickets(result, ground, stream)
    return result


def primary_failover(ground: ClusterGround, scale: float = 1.0) -> DrillResult:
    """The PostgreSQL primary killed (SIGKILL) during a rush and its synchronous standby
    promoted: every registration answered 201 is on the new primary, seats match tickets, and
    everyone is mailed. Last of the cluster drills: afterwards there is no standby."""
    result = DrillResult("PostgreSQL primary killed, synchronous standby promoted, during a rush")
    p, postgres = ground.platform, ground.postgres
    with RegistrationStream(p, ground.session_id, RATE, "failover", retries=RETRIES) as stream:
        time.sleep(2 + 3 * scale)
        postgres.primary.kill()
        killed = time.monotonic()
        time.sleep(2)
        postgres.standby.promote()
        result.counts["promoted_seconds_after_kill"] = round(time.monotonic() - killed, 1)
        time.sleep(3 + 7 * scale)
    tally_mails(result, p, stream, wait=90)
    _answers_all_201(result, stream)
    _seats_match_tickets(result, ground, stream)
    allow_doubled(
        result,
        ASYNCHRONOUS_RECORDS,
        "sent just before the crash, their outcome recorded without waiting for the flush "
        "(services/notify/delivery.py, as documented)",
    )
    return result


CLUSTER_DRILLS = {
    "crash": poison_that_crashes_its_consumer,
    "node": busiest_node_killed,
    "web": web_instance_killed,
    "failover": primary_failover,
}
