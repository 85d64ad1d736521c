"""AMQP_URL naming several nodes: every process connects to one of them (shuffled) and goes on
at another when its node goes away, losing and doubling nothing (issue 15). The "nodes" are TCP
proxies in front of the one real broker, so a test can take one away mid-stream."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from harness.bus import running
from harness.infra import AMQP_HOST, wait_until
from shared.broker import connect
from shared.config import Config, ConfigError, broker_urls
from shared.logging import redact_url
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow


def node_url(port: int, vhost: str) -> str:
    return f"amqp://guest:guest@127.0.0.1:{port}/{quote(vhost, safe='')}"


@pytest.fixture
def nodes(amqp_vhost):
    broker = urlsplit(f"amqp://{AMQP_HOST}")
    proxies = [TcpProxy((broker.hostname, broker.port or 5672)) for _ in range(2)]
    yield proxies
    for proxy in proxies:
        proxy.kill()


@pytest.fixture
def amqp_url(nodes, amqp_vhost) -> str:
    """Both proxies as the nodes of AMQP_URL (overrides the session's one-node URL here)."""
    return ",".join(node_url(proxy.port, amqp_vhost[0]) for proxy in nodes)


def test_the_setting_takes_several_nodes_and_refuses_what_is_no_amqp_url():
    many = (
        "amqp://u:s3cret@rabbit-1/todo, amqp://u:s3cret@rabbit-2/todo,amqp://u:s3cret@rabbit-3/todo"
    )
    config = Config.from_env({"AMQP_URL": many})
    assert broker_urls(config.amqp_url) == [f"amqp://u:s3cret@rabbit-{n}/todo" for n in (1, 2, 3)]
    assert "s3cret" not in redact_url(config.amqp_url)
    assert redact_url(config.amqp_url).count("u:***@") == 3
    for wrong in ("http://rabbit/todo", "amqp://a/v,rabbit-2", "amqp:///todo"):
        with pytest.raises(ConfigError, match="AMQP_URL"):
            Config.from_env({"AMQP_URL": wrong})


def test_a_node_that_does_not_answer_is_passed_over(amqp_vhost, nodes):
    nodes[0].kill()
    url = ",".join(node_url(proxy.port, amqp_vhost[0]) for proxy in nodes)
    for _ in range(6):  # whichever comes first in the shuffled order, each connects
        connect(url).close()
    assert nodes[0].accepted == 0 and nodes[1].accepted > 0


def test_connections_spread_over_the_nodes(amqp_url, nodes):
    for _ in range(20):
        connect(amqp_url).close()
    assert all(proxy.accepted >= 2 for proxy in nodes)


def test_consumer_and_relay_go_on_at_the_other_node_and_nothing_is_lost_or_doubled(
    commit_messages, make_relay, make_consumer, test_queue, effects, nodes
):
    commit_messages(5)
    with (
        running(make_relay(queues=(test_queue,))),
        running(make_consumer()),
    ):
        wait_until(lambda: len(effects()) == 5, message="the first five messages")
        busiest = max(nodes, key=lambda proxy: proxy.open_connections)
        busiest.kill()
        commit_messages(5, start=5)
        wait_until(lambda: len(effects()) == 10, timeout=60, message="the next five")
    assert sorted(n for _, n in effects()) == list(range(10))
    survivor = next(proxy for proxy in nodes if proxy is not busiest)
    assert survivor.open_connections == 0  # all closed with the runners
    assert survivor.accepted >= 1
