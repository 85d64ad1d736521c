"""Reminders before a session (by default 24 hours and 1 hour before), once per ticket and
offset, with the livestream link for those who cannot come after all. The reminder worker also
scrubs finished mail past its retention period (`retention`), once an hour."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.mails import Mailer, Recipient, session_details
from services.notify.models import ProgrammeSession, Ticket
from services.notify.programme import attendee_context
from services.notify.retention import scrub_finished_mail
from services.notify.settings import NotifySettings
from shared.db import DATABASE_UNAVAILABLE, Database, utcnow
from shared.messages.registration import TICKET_CONFIRMED
from shared.messages.schedule import SESSION_SCHEDULED

log = logging.getLogger(__name__)
RETENTION_INTERVAL_SECONDS = 3600


def reminder_cause(ticket_id: int, offset: timedelta) -> str:
    return f"reminder-{ticket_id}-{int(offset.total_seconds() // 60)}m"


def queue_due_reminders(
    session: Session, *, mailer: Mailer, offsets: tuple[timedelta, ...], now: datetime
) -> int:
    """Queue the reminders that are due; returns how many were queued.

    The reminder for offset o is due while now lies in [start - o, start - next smaller
    offset): someone who books two hours ahead still gets the 24-hour reminder (at once) and
    later the 1-hour one, but never two at the same moment.
    """
    ordered = sorted(offsets, reverse=True)
    queued = 0
    for index, offset in enumerate(ordered):
        next_offset = ordered[index + 1] if index + 1 < len(ordered) else timedelta(0)
        rows = session.execute(
            select(Ticket, ProgrammeSession)
            .join(ProgrammeSession, ProgrammeSession.id == Ticket.session_id)
            .where(
                Ticket.status == TICKET_CONFIRMED,
                ProgrammeSession.status == SESSION_SCHEDULED,
                ProgrammeSession.starts_at > now + next_offset,
                ProgrammeSession.starts_at <= now + offset,
            )
            .order_by(Ticket.id)
        ).all()
        if not rows:
            continue
        keys = {
            ticket.id: Mailer.dedup_key(
                reminder_cause(ticket.id, offset), ticket.attendee_id, "reminder"
            )
            for ticket, _ in rows
        }
        done = Mailer.queued_keys(session, list(keys.values()))
        for ticket, programme_session in rows:
            if keys[ticket.id] in done:
                continue
            attendee = ticket.attendee
            mail = mailer.queue(
                session,
                kind="reminder",
                cause=reminder_cause(ticket.id, offset),
                recipient=Recipient(ticket.name, attendee.email, attendee.locale, attendee.id),
                event_slug=attendee.event_slug,
                context={
                    **attendee_context(mailer, attendee, programme_session.event, ticket.name),
                    "session": session_details(programme_session, attendee.locale),
                    "ticket": {"code": ticket.code},
                },
                programme_session=programme_session,
                known_new=True,
            )
            queued += mail is not None
    return queued


class ReminderScheduler:
    def __init__(self, db: Database, mailer: Mailer, settings: NotifySettings):
        self.db = db
        self.mailer = mailer
        self.settings = settings
        self.stop_event = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        log.info(
            "reminders %s before each session",
            ", ".join(str(offset) for offset in self.settings.reminder_offsets),
        )
        next_scrub = 0.0
        while not self.stop_event.is_set():
            # Like the registration sweeper: a failed round (the database restarting, one bad
            # row) is logged and tried again next round; the process never dies of it.
            try:
                self.queue_due()
                if time.monotonic() >= next_scrub:
                    self.scrub()
                    next_scrub = time.monotonic() + RETENTION_INTERVAL_SECONDS
            except DATABASE_UNAVAILABLE as exc:
                log.warning("database unavailable (%s); trying again next round", exc)
            except Exception:
                log.exception("reminder round failed; trying again next round")
            self.stop_event.wait(self.settings.reminder_poll_seconds)

    def queue_due(self) -> None:
        with self.db.transaction() as session:
            queued = queue_due_reminders(
                session,
                mailer=self.mailer,
                offsets=self.settings.reminder_offsets,
                now=utcnow(),
            )
        if queued:
            log.info("queued %d reminders", queued)

    def scrub(self) -> None:
        retention = timedelta(days=self.settings.mail_retention_days)
        with self.db.transaction() as session:
            scrubbed = scrub_finished_mail(session, utcnow(), retention)
        if scrubbed:
            log.info("scrubbed %d finished mails", scrubbed)
