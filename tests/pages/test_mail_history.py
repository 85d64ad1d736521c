"""Notify's mail history in the browser (issue 13): the event's mails with their delivery state
and the mail server's answer (a real SMTP server, which refuses one address), filtered by state
and by part of the address (any case); a bad filter value is answered next to its field.
German, one step in English at phone size; screenshots in `artifacts/screenshots/mails-*.png`."""

from __future__ import annotations

import copy
import urllib.request

import pytest
from playwright.sync_api import expect

from harness.infra import wait_until
from tests.support.pages import (
    DESKTOP,
    EVENT,
    PHONE,
    PROGRAMME,
    mails_to,
    page_width,
    platform_of,
    register_attendee,
    screenshot,
    serious_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REFUSAL = "550 5.1.1 Mailbox unknown"


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory, smtp):
    """The browser week (in 2030: no reminders now) with a mail server; Jürgen's and Ana's
    confirmations delivered, Fritz's refused by the mail server."""
    tmp_path = tmp_path_factory.mktemp("mail-history")
    programme = copy.deepcopy(PROGRAMME)
    with platform_of(tmp_path, programme, SMTP_URL=smtp.url) as platform:
        ids = platform.session_ids()
        register_attendee(platform, "Jürgen Größe", "juergen@example.org", [ids["opening"]])
        register_attendee(platform, "Ana Lima", "ana@example.org", [ids["opening"]], "en")
        for address in ("juergen@example.org", "ana@example.org"):
            wait_until(lambda a=address: mails_to(smtp, a), timeout=60, message=address)
        token = platform.todo("create-token", "mail-history-test").stdout.strip().splitlines()[-1]
        smtp.handler.reply = REFUSAL
        try:
            register_attendee(platform, "Fritz Fehl", "fritz@example.org", [ids["bridges"]])
            wait_until(
                lambda: "Mailbox unknown" in failed_mails(platform, token),
                timeout=60,
                message="refused mail",
            )
        finally:
            smtp.handler.reply = None
        yield platform


def failed_mails(stack, token: str) -> str:
    """The history's failed mails, as notify's API answers them."""
    request = urllib.request.Request(
        f"{stack.url('notify')}/api/v1/events/{EVENT}/mails?state=failed",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return ""


def mails_url(stack, query: str = "") -> str:
    return f"{stack.url('notify')}/{EVENT}/organiser/mails{query}"


def test_filter_by_state_and_address(mail_stack, new_page):
    stack = mail_stack
    page = new_page(viewport=DESKTOP)
    sign_in(page, stack.url("schedule"))
    page.goto(mails_url(stack))
    expect(page.get_by_role("heading", name="E-Mails", level=1)).to_be_visible()
    rows = page.locator(".mail-table tbody tr")
    expect(rows).to_have_count(3)
    assert serious_violations(page) == []
    screenshot(page, "mails-all-desktop")

    # By state: the refused mail, with the mail server's answer.
    page.get_by_label("Stand").select_option("failed")
    page.get_by_role("button", name="Filtern").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("fritz@example.org")
    expect(rows.first).to_contain_text("fehlgeschlagen")
    expect(rows.first.locator(".smtp-reply")).to_contain_text("Mailbox unknown")
    screenshot(page, "mails-failed-desktop")

    page.get_by_label("Stand").select_option("sent")
    page.get_by_role("button", name="Filtern").click()
    expect(rows).to_have_count(2)
    expect(page.locator(".mail-table tbody")).not_to_contain_text("fritz@example.org")
    expect(rows.first).to_contain_text("zugestellt")

    # By part of the address, in any case, with the state still chosen.
    page.get_by_label("E-Mail-Adresse").fill("ANA@")
    page.get_by_role("button", name="Filtern").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ana@example.org")
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value("ANA@")
    expect(page.get_by_label("Stand")).to_have_value("sent")
    page.get_by_label("Stand").select_option("failed")
    page.get_by_role("button", name="Filtern").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Keine E-Mails.")
    assert serious_violations(page) == []

    # A bad value: answered next to its field, not with a server error.
    page.goto(mails_url(stack, "?attendee=abc&state=lost"))
    expect(page.locator("#error-attendee-1")).to_be_visible()
    expect(page.locator("#error-state-1")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "mails-bad-filter-desktop")


def test_mail_history_in_english_at_phone_size(mail_stack, new_page):
    stack = mail_stack
    page = new_page(viewport=PHONE, locale="en-GB")
    sign_in(page, stack.url("schedule"))
    page.goto(mails_url(stack, "?lang=en"))
    expect(page.get_by_role("heading", name="Mails", level=1)).to_be_visible()
    page.get_by_label("State").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator(".mail-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("failed")
    width = page_width(page)
    assert width <= PHONE["width"], width
    assert serious_violations(page) == []
    screenshot(page, "mails-failed-phone-en")
    page.goto(mails_url(stack, "?lang=de"))
    assert serious_violations(page) == []
    screenshot(page, "mails-all-phone")
