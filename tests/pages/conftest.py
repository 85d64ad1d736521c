"""Browser tests: the whole platform as `make run` starts it (test databases, a test vhost, free
ports) with a small programme, driven by Playwright through Debian's Chromium."""

from __future__ import annotations

import pytest

from harness.infra import database_factory, private_vhost
from tests.support.notify import SmtpServer
from tests.support.pages import CHROMIUM, DESKTOP, PROGRAMME, require_chromium, running_platform


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The platform with the browser-week programme published and an organiser account, shared
    by the tests of one module (starting it takes half a minute); they leave the programme
    as the others expect it. `make test` runs with `--dist loadscope`: a module's tests run
    in one worker, so the platform starts once per module."""
    tmp_path = tmp_path_factory.mktemp("platform")
    with (
        private_vhost() as amqp_url,
        database_factory(tmp_path) as make_database,
        running_platform(make_database, amqp_url, tmp_path, PROGRAMME) as platform,
    ):
        yield platform


@pytest.fixture(scope="module")
def smtp():
    """A real SMTP server (aiosmtpd) for a module's platform (`SMTP_URL=smtp.url`)."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright():
    """The worker's one Playwright (a second could not run beside it)."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    # The screen polls every few seconds and the machine is shared: wait longer than 5 s.
    expect.set_options(timeout=20_000)
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(viewport=DESKTOP, locale="de-DE") -> a page in a fresh browser context."""
    contexts = []

    def make(viewport=DESKTOP, locale="de-DE"):
        context = browser.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
