"""No personal data in public feeds or public APIs: attendees with distinctive names and emails
register; nothing public mentions them. After erasure or purge no table of any service
database holds anything of them."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import MetaData, select

from bench.common import SmtpSink
from services.notify.mails import Mailer
from services.notify.models import OutgoingMail, ProgrammeSession
from services.notify.reminders import queue_due_reminders
from services.notify.retention import scrub_finished_mail
from services.registration.models import Attendee, Event, Ticket
from services.registration.settings import Links, RegistrationSettings
from services.registration.sweeper import purge_personal_data, sweep
from shared.consumer import prune_processed
from shared.db import utcnow
from shared.outbox import prune_published
from shared.service import load_service
from tests.support.security import EVENT

NAME, EMAIL = "Zacharias Geheimname", "zacharias.verborgen@example.org"
MARKERS = ("geheimname", "zacharias", "verborgen")
# Someone to erase: a name with an umlaut, an address with capitals and an IDN domain.
PERSON = "Zacharias Ölgeheimname"
LOCAL_PART, DOMAIN = "Zacharias.Verborgen", "Bücherstube-Geheim.example"
ADDRESS = f"{LOCAL_PART}@{DOMAIN}"
OTHER = "Olivia Kontrollperson"
# Real servers quote the address they refuse.
REFUSED = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"
BUSY = "450 4.2.2 <{address}>: Mailbox busy, try again later"


class ScriptedSink(SmtpSink):
    """A real SMTP server that answers RCPT TO for a local part with the replies queued for
    it (then accepts as usual)."""

    def __init__(self):
        super().__init__()
        self.replies: dict[str, deque[str]] = {}

    def answer(self, local_part: str, *replies: str) -> None:
        self.replies.setdefault(local_part.lower(), deque()).extend(replies)

    def mails_to(self, local_part: str) -> int:
        """Mails accepted for the local part, whatever form the domain took on the wire."""
        return sum(
            r.split("@", 1)[0] == local_part.lower() for r in self.per_recipient().elements()
        )

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        queued = self.replies.get(address.split("@", 1)[0].lower())
        reply = queued.popleft() if queued else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply.format(address=address)


@pytest.fixture
def smtp():
    with ScriptedSink() as sink:
        yield sink


def needles_of(platform, email: str) -> dict[str, str]:
    """What must vanish: name, address in every spelling, manage and feed token, ticket codes."""
    with platform.dbs["registration"].transaction() as session:
        attendee = session.scalars(select(Attendee).where(Attendee.email == email)).one()
        codes = session.scalars(select(Ticket.code).where(Ticket.attendee_id == attendee.id))
        needles = {f"ticket code {n}": code for n, code in enumerate(codes)}
        needles |= {"manage token": attendee.manage_token, "feed token": attendee.feed_token}
    local, domain = ADDRESS.split("@")
    return needles | {
        "name": "lgeheimname",
        "address": ADDRESS,
        "local part": local,
        "domain": domain,
        "punycode domain": domain.encode("idna").decode(),
    }


def _renderings(value) -> list[str]:
    """A stored value as text in every form personal data could hide in: raw, JSON with its
    escapes decoded, a MIME message with decoded headers and parts, ICS unfolded."""
    if value is None:
        return []
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        texts = [value.decode("utf-8", "replace")]
        if b"\n" in value:
            message = message_from_bytes(value, policy=policy.default)
            for part in message.walk():
                texts += [str(header) for header in part.values()]
                payload = part.get_payload(decode=True)
                if payload:
                    texts.append(payload.decode("utf-8", "replace"))
        return [t.replace("\r\n ", "").replace("\n ", "") for t in texts]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    text = str(value)
    try:
        return [text, json.dumps(json.loads(text), ensure_ascii=False)]
    except ValueError:
        return [text]


def traces(platform, needles: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(service, table, column, needle) wherever a needle occurs in any column of any table
    of any service database, case-insensitively."""
    wanted = {what: needle.lower() for what, needle in needles.items()}
    found = []
    for service, db in platform.dbs.items():
        metadata = MetaData()
        metadata.reflect(db.engine)
        assert "outbox" in metadata.tables and "processed_messages" in metadata.tables
        with db.engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    for column, value in row._mapping.items():
                        text = "\n".join(_renderings(value)).lower()
                        found += [
                            (service, table.name, column, what)
                            for what, needle in wanted.items()
                            if needle in text
                        ]
    return sorted(set(found))


def run_retention(platform) -> None:
    """Every retention step of both services as their workers run it, at this moment."""
    now = utcnow()
    sweep(platform.dbs["registration"], Links.from_config(platform.config), RegistrationSettings())
    with platform.dbs["notify"].transaction() as session:
        scrub_finished_mail(session, now, timedelta(days=30))
    for service, db in platform.dbs.items():
        spec = load_service(service)
        with db.transaction() as session:
            prune_published(session, spec.outbox, now - timedelta(days=7))
            prune_processed(session, spec.processed, now - timedelta(days=30))


def queue_reminders(platform, offset: timedelta, before_session: int) -> None:
    """Queue the reminders due `offset` minus a little before session `before_session`."""
    with platform.dbs["notify"].transaction() as session:
        starts_at = session.get(ProgrammeSession, before_session).starts_at
        queue_due_reminders(
            session,
            mailer=Mailer(platform.config),
            offsets=(offset,),
            now=starts_at - offset + timedelta(minutes=30),
        )


def mail_states(platform) -> list[str]:
    with platform.dbs["notify"].transaction() as session:
        return sorted(session.scalars(select(OutgoingMail.state)))


def register_both(platform) -> None:
    """The person books sessions 1 and 2 one after the other: two bookings, two confirmation
    mails (one booking of both would be one mail)."""
    for session_id in (1, 2):
        response = platform.clients["registration"].post(
            f"/api/v1/events/{EVENT}/registrations",
            json={
                "name": PERSON,
                "email": ADDRESS,
                "sessions": [session_id],
                "locale": "de",
                "consent": True,
            },
            headers={"Idempotency-Key": f"erase-me-{session_id}"},
        )
        assert response.status_code == 201, response.text
    assert platform.register(OTHER, "olivia@example.org").status_code == 201


def test_erasure_leaves_nothing_of_the_person_in_any_table(platform):
    register_both(platform)
    needles = needles_of(platform, ADDRESS.lower())
    platform.deliver()
    # Of the two confirmations one is delivered, the other refused for good.
    platform.smtp.answer(LOCAL_PART, "250 OK", REFUSED)
    platform.send_mail()
    # Reminders for both sessions meet a busy mailbox and wait for another try; the next
    # reminder is queued and not yet sent when the person asks to be forgotten.
    platform.smtp.answer(LOCAL_PART, BUSY, BUSY)
    queue_reminders(platform, timedelta(hours=24), before_session=2)
    platform.send_mail()
    queue_reminders(platform, timedelta(hours=1), before_session=1)
    assert mail_states(platform).count("retrying") == 2
    assert mail_states(platform).count("failed") == 1
    assert platform.smtp.mails_to(LOCAL_PART) == 1
    found = {what for *_, what in traces(platform, needles)}
    assert found == set(needles), set(needles) - found  # the search sees every needle

    registration = platform.clients["registration"]
    assert registration.delete(f"/api/v1/manage/{needles['manage token']}").status_code == 200
    platform.deliver()
    platform.send_mail()
    run_retention(platform)

    assert traces(platform, needles) == []
    # The erasure confirmation went out; the queued reminder and the retries did not.
    assert platform.smtp.mails_to(LOCAL_PART) == 2
    assert "retrying" not in mail_states(platform) and "queued" not in mail_states(platform)
    # The search does find someone who was not erased.
    assert traces(platform, {"other": "kontrollperson"})


def test_purge_leaves_nothing_of_the_attendees_in_any_table(platform):
    register_both(platform)
    needles = needles_of(platform, ADDRESS.lower())
    platform.deliver()
    platform.smtp.answer(LOCAL_PART, "250 OK", BUSY)
    platform.send_mail()
    assert sorted(set(mail_states(platform))) == ["retrying", "sent"]
    found = {what for *_, what in traces(platform, needles)}
    assert found == set(needles), set(needles) - found

    with platform.dbs["registration"].transaction() as session:
        ends_on = session.scalars(select(Event.ends_on)).one()
        after = datetime.combine(ends_on + timedelta(days=1), datetime.min.time(), UTC)
        assert purge_personal_data(session, EVENT, now=after) == 2
    platform.deliver()
    platform.send_mail()
    run_retention(platform)

    assert traces(platform, needles) == []
    assert traces(platform, {"other": "kontrollperson"}) == []


def test_public_feeds_and_apis_carry_no_attendee_data(platform):
    assert platform.register(NAME, EMAIL, sessions=(1, 2)).status_code == 201
    assert platform.register("Other Person", "other@example.org").status_code == 201
    platform.deliver()
    platform.send_mail()
    assert platform.smtp.messages_to(EMAIL)  # the attendee did get mail

    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    public = {
        "notify": [
            f"/{EVENT}/calendar.ics",
            f"/{EVENT}/calendar/tracks/digitalisierung.ics",
            f"/{EVENT}/calendar/days/{day}.ics",
            "/api/v1/openapi.json",
        ],
        "registration": [
            f"/api/v1/events/{EVENT}/sessions/1/availability",
            f"/api/v1/events/{EVENT}/sessions/2/availability",
            "/api/v1/openapi.json",
        ],
    }
    fetched = 0
    for service, paths in public.items():
        client = platform.clients[service]
        for path in paths:
            response = client.get(path)
            if response.status_code == 404 and "/days/" in path:
                continue  # the day feed may exist only for event days in the copy
            assert response.status_code == 200, path
            text = response.get_data(as_text=True).replace("\r\n ", "").lower()
            fetched += 1
            leaked = [m for m in MARKERS if m in text]
            assert not leaked, (path, leaked)
    assert fetched >= 5


def test_a_personal_feed_shows_no_other_attendee(platform):
    assert platform.register(NAME, EMAIL).status_code == 201
    assert platform.register("Other Person", "other@example.org").status_code == 201
    platform.deliver()
    platform.send_mail()
    [mail] = platform.smtp.messages_to("other@example.org")
    text = mail.decode("utf-8", "replace").replace("=\r\n", "")
    start = text.index("/calendar/personal/")
    path = text[text.rindex("/", 0, start - 1) : text.index(".ics", start) + 4]
    feed = platform.clients["notify"].get(path)
    assert feed.status_code == 200, path
    body = feed.get_data(as_text=True).lower()
    assert not [m for m in MARKERS if m in body]
