"""A real three-node RabbitMQ cluster on loopback (private nodes, never the shared broker) with
quorum queues: a relay and a consumer go on when the node they use is killed, and the queue is
whole again once the node is back (issue 15; `make drill` runs the same under a rush)."""

from __future__ import annotations

import pytest

from drills.servers import RabbitCluster
from harness.bus import running
from harness.infra import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    with RabbitCluster(3) as cluster:
        yield cluster


@pytest.fixture
def amqp_url(cluster) -> str:
    """All three nodes, as an operator writes AMQP_URL (overrides the one-node URL here)."""
    return cluster.amqp_url


def test_a_quorum_queue_has_a_replica_on_every_node(cluster, make_relay, test_queue):
    with running(make_relay(queues=(test_queue,), queue_type="quorum")):
        wait_until(lambda: test_queue.name in cluster.quorum_queues(), message="the queue")
    info = cluster.quorum_queues()[test_queue.name]
    assert info["type"] == "quorum"
    assert sorted(info["members"]) == sorted(node.name for node in cluster.nodes)


def test_relay_and_consumer_go_on_when_their_node_is_killed_and_nothing_is_lost_or_doubled(
    cluster, commit_messages, make_relay, make_consumer, test_queue, effects
):
    quorum = {"queue_type": "quorum"}
    commit_messages(5)
    with (
        running(make_relay(queues=(test_queue,), **quorum)),
        running(make_consumer(**quorum)),
    ):
        wait_until(lambda: len(effects()) == 5, message="the first five messages")
        connections = cluster.connections_per_node()
        busiest = max(cluster.nodes, key=lambda node: connections[node.name])
        assert connections[busiest.name] >= 1
        busiest.kill()
        commit_messages(5, start=5)
        wait_until(lambda: len(effects()) == 10, timeout=90, message="the next five")
        busiest.start()
        wait_until(cluster.fully_replicated, timeout=120, interval=1, message="on 3 nodes again")
    assert sorted(n for _, n in effects()) == list(range(10))
