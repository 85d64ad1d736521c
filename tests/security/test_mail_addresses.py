"""Every address registration accepts (RFC 6531: umlauts before the @, IDN domains, odd but
valid ASCII) gets its mail, or a failed mail with a readable reason; none stops the mail worker.
Each test runs against an SMTP server that offers SMTPUTF8 and one that does not."""

from __future__ import annotations

import email
import email.policy
import threading
import time

import pytest
from sqlalchemy import select

from bench.common import SmtpSink
from services.notify.delivery import SMTPUTF8_MISSING, MailWorker
from services.notify.models import OutgoingMail
from services.notify.settings import NotifySettings

UMLAUT = "jürgen.müller@example.de"
UMLAUT_NAME = 'Müller, Jürgen "Jü"'
IDN = "anna@müller.example"
IDN_ON_THE_WIRE = "anna@xn--mller-kva.example"


@pytest.fixture(params=[True, False], ids=["smtputf8", "no-smtputf8"])
def smtp(request):
    with SmtpSink(smtputf8=request.param) as sink:
        yield sink


@pytest.fixture
def running_worker(platform):
    """The mail worker as `todo send-mail` runs it, in a thread."""
    worker = MailWorker(
        platform.dbs["notify"],
        platform.config,
        NotifySettings(mail_rate_limit=0, mail_poll_seconds=0.1),
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield thread
    worker.stop()
    thread.join(timeout=10)


def parsed(raw: bytes) -> email.message.EmailMessage:
    # SMTPUTF8 mail has raw UTF-8 headers (RFC 6532), which the bytes parser leaves undecoded.
    return email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)


def mail_rows(platform) -> list[OutgoingMail]:
    with platform.dbs["notify"].transaction() as session:
        rows = list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
        session.expunge_all()
    return rows


def wait_until_settled(platform, at_least: int, timeout: float = 120) -> list[OutgoingMail]:
    deadline = time.monotonic() + timeout
    while True:
        rows = mail_rows(platform)
        if len(rows) >= at_least and all(r.state in ("sent", "failed") for r in rows):
            return rows
        assert time.monotonic() < deadline, sorted({r.state for r in rows})
        time.sleep(0.2)


def test_umlaut_address_among_a_hundred_others(platform, running_worker):
    others = [f"person{n}@example.org" for n in range(100)]
    for n, address in enumerate([*others[:50], UMLAUT, *others[50:]]):
        name = UMLAUT_NAME if address == UMLAUT else f"Person {n}"
        response = platform.register(name, address, sessions=(1 + n % 2,))
        assert response.status_code == 201, response.get_data(as_text=True)
    platform.deliver()
    rows = wait_until_settled(platform, at_least=101)

    received = platform.smtp.per_recipient()
    assert set(others) <= set(received)
    assert {r.state for r in rows if r.recipient != UMLAUT} == {"sent"}
    mine = [r for r in rows if r.recipient == UMLAUT]
    assert mine
    if platform.smtp.smtputf8:
        assert {r.state for r in mine} == {"sent"}
        assert received[UMLAUT] == len(mine)
        assert platform.smtp.accepted_smtputf8 == [UMLAUT] * len(mine)
        for raw in platform.smtp.messages_to(UMLAUT):
            [to] = parsed(raw)["To"].addresses
            assert (to.display_name, to.addr_spec) == (UMLAUT_NAME, UMLAUT)
    else:
        assert UMLAUT not in received
        for row in mine:
            assert (row.state, row.last_error) == ("failed", SMTPUTF8_MISSING)
        assert "SMTPUTF8" in SMTPUTF8_MISSING and "@example" not in SMTPUTF8_MISSING

    # Still alive and still sending.
    assert running_worker.is_alive()
    assert platform.register("Late Comer", "late@example.org").status_code == 201
    platform.deliver()
    wait_until_settled(platform, at_least=len(rows) + 1)
    assert platform.smtp.messages_to("late@example.org")
    assert running_worker.is_alive()


def test_idn_domain_goes_out_as_punycode(platform):
    assert platform.register(UMLAUT_NAME, IDN).status_code == 201
    platform.deliver()
    platform.send_mail()

    assert {r.state for r in mail_rows(platform)} == {"sent"}
    assert set(platform.smtp.per_recipient()) == {IDN_ON_THE_WIRE}
    assert platform.smtp.accepted_smtputf8 == []
    for raw in platform.smtp.messages_to(IDN_ON_THE_WIRE):
        assert raw.isascii()
        [to] = parsed(raw)["To"].addresses
        assert (to.display_name, to.addr_spec) == (UMLAUT_NAME, IDN_ON_THE_WIRE)


@pytest.mark.parametrize(
    "address",
    [
        "o'brien+todo@example.org",
        "a.b-c_d{e}~f|g#h$i%j&k*l/m=n?o^p`q@example.org",
        "x" * 64 + "@" + "sub." * 20 + "example.org",
        # A valid local part that Python's header parser would decode into a new header line.
        "=?utf-8?q?eve=0d=0abcc=3a_victim=40example=2eorg?=@example.org",
    ],
)
def test_odd_but_valid_addresses_get_exactly_their_mail(platform, address):
    response = platform.register('Eve "the tester", Jr.', address)
    assert response.status_code == 201, response.get_data(as_text=True)
    platform.deliver()
    platform.send_mail()

    assert {r.state for r in mail_rows(platform)} == {"sent"}
    [envelope_recipient] = platform.smtp.per_recipient()
    if "=?" not in address:  # aiosmtpd decodes it (a real relay does not); the header shows it
        assert envelope_recipient == address
    for raw in platform.smtp.messages_to(envelope_recipient):
        head = raw.split(b"\r\n\r\n", 1)[0].decode()
        assert "victim" not in head.replace(address, "")
        assert f"<{address}>" in head
        to_lines = [line for line in head.split("\r\n") if line.lower().startswith("to:")]
        assert len(to_lines) == 1 and not any(
            line.lower().startswith(("bcc:", "cc:")) for line in head.split("\r\n")
        )
        if "=?" not in address:  # Python's own parser would decode the local part
            [to] = parsed(raw)["To"].addresses
            assert (to.display_name, to.addr_spec) == ('Eve "the tester", Jr.', address)
