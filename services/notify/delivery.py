"""The delivery worker: claims queued mail, hands it to SMTP (or a Maildir), records the outcome.

Mail is claimed in short transactions (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers share the queue), sent outside any transaction, and its outcome stored together with a
`notify.mail.sent` / `notify.mail.failed` outbox message. Temporary failures (4xx replies,
refused connections, timeouts) are retried with exponential back-off; permanent ones (5xx) fail
at once. A worker that dies between claiming and recording leaves mail in `sending`; the
sweeper puts it back after a timeout, so delivery is at-least-once: each outcome is recorded
as soon as SMTP answers, so a crash can send again only the one mail that was in flight.

One bad mail never stops the worker: whatever goes wrong while composing or sending it fails
that mail (with a reason the organiser can read) and the worker goes on; a mail that keeps
killing its worker outright is failed by the sweeper once its attempts are used up. Reasons
and log lines carry mail ids, never addresses or names.
"""

from __future__ import annotations

import contextlib
import logging
import mailbox
import smtplib
import ssl
import threading
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from services.notify.mails import MAIL_READY_CHANNEL, Mailer, WireAddress, sender_address
from services.notify.models import OutboxMessage, OutgoingMail
from services.notify.models.mail import FAILED, QUEUED, RETRYING, SENDING, SENT
from services.notify.settings import NotifySettings
from shared.broker import Backoff
from shared.config import Config
from shared.db import DATABASE_UNAVAILABLE, Database, direct_connection, utcnow
from shared.logging import redact_url, without_personal_data
from shared.outbox import add_message

log = logging.getLogger(__name__)


SWEEP_INTERVAL_SECONDS = 30
# A connection kept open between mails saves the handshake at a steady trickle of mail.
IDLE_DISCONNECT_SECONDS = 10
# Stored in `last_error` beside the SMTP servers' own (English) replies, for the operators.
SMTPUTF8_MISSING = (
    "The mail server does not offer SMTPUTF8, which an address with non-ASCII characters "
    "before the @ needs."
)
WORKER_DIED = "Sending stopped on every attempt (the worker died)."
# Kept of the server's answer to a delivered mail, for the organisers' mail history.
SMTP_REPLY_LENGTH = 500


class TemporaryFailure(Exception):
    """Worth trying again later: 4xx replies, refused connections, timeouts."""


class PermanentFailure(Exception):
    """Trying again cannot help: 5xx replies, a mail that cannot be composed."""


def _reply_failure(code: int, text: bytes | str) -> Exception:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    message = without_personal_data(f"{code} {text}".strip())
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


class _KeepsDataReply:
    """`smtplib.SMTP.sendmail` returns only the refused recipients and drops the server's final
    answer to DATA ("250 2.0.0 Ok: queued as 4F3A"), the receipt the mail history shows; this
    keeps it. Nothing else of the conversation changes."""

    data_reply: tuple[int, bytes] | None = None

    def data(self, msg):
        code, reply = super().data(msg)
        self.data_reply = (code, reply)
        return code, reply


class ReplyKeepingSMTP(_KeepsDataReply, smtplib.SMTP):
    pass


class ReplyKeepingSMTP_SSL(_KeepsDataReply, smtplib.SMTP_SSL):
    pass


def _success_reply(reply: tuple[int, bytes] | None) -> str | None:
    if reply is None:
        return None
    code, text = reply
    return without_personal_data(f"{code} {text.decode('utf-8', 'replace')}".strip())[
        :SMTP_REPLY_LENGTH
    ]


class SmtpTransport:
    """SMTP from `SMTP_URL`: `smtp://` with STARTTLS when the server offers it, `smtps://` with
    implicit TLS; login when the URL carries credentials. One connection is reused while there
    is work and closed when the worker goes idle."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                f"SMTP_URL must look like smtp://user:pass@host:port, not {redact_url(url)!r}"
            )
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            connection = ReplyKeepingSMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            connection = ReplyKeepingSMTP(self.host, self.port, timeout=self.timeout)
            connection.ehlo()
            if connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
        if self.username:
            connection.login(self.username, self.password)
        return connection

    @staticmethod
    def _deliver(
        connection: smtplib.SMTP, sender: str, recipient: str, message: bytes
    ) -> str | None:
        """Send one mail on `connection`; the server's answer to its data."""
        # Non-ASCII is left only in local parts (domains go as A-labels): RFC 6531 territory.
        smtputf8 = not (sender + recipient).isascii()
        if smtputf8 and not connection.has_extn("smtputf8"):
            raise PermanentFailure(SMTPUTF8_MISSING)
        connection.data_reply = None
        # In angle brackets, so smtplib takes them as they are instead of parsing them again.
        connection.sendmail(
            f"<{sender}>",
            [f"<{recipient}>"],
            message,
            mail_options=("SMTPUTF8",) if smtputf8 else (),
        )
        return _success_reply(getattr(connection, "data_reply", None))

    def _sendmail(self, sender: str, recipient: str, message: bytes) -> str | None:
        if self._connection is not None:
            try:
                return self._deliver(self._connection, sender, recipient, message)
            except smtplib.SMTPServerDisconnected:
                # The server dropped the idle connection; that says nothing about this mail.
                self._connection = None
        self._connection = self._connect()
        return self._deliver(self._connection, sender, recipient, message)

    def send(self, sender: str, recipient: str, message: bytes) -> str | None:
        """Hand one mail to the server; its answer to the data (None if there was none)."""
        try:
            return self._sendmail(sender, recipient, message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            self._reset()
            raise _reply_failure(code, text) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are a configuration error: keep the mail until it is fixed.
            self.close()
            raise TemporaryFailure(f"authentication failed: {exc.smtp_code}") from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _reply_failure(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPNotSupportedError as exc:
            self._reset()
            raise PermanentFailure(str(exc)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TemporaryFailure(without_personal_data(f"{type(exc).__name__}: {exc}")) from exc
        except PermanentFailure:
            raise
        except Exception:
            # Whatever state smtplib was left in, the next mail starts on a new connection.
            self.close()
            raise

    def _reset(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.quit()
            self._connection = None


class MaildirTransport:
    """The embedded default: every mail lands in a Maildir (`var/mail/`) for a mail client."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(path, create=True)

    def send(self, sender: str, recipient: str, message: bytes) -> str | None:
        try:
            key = self.box.add(message)
        except OSError as exc:
            raise TemporaryFailure(f"Maildir {self.path}: {exc}") from exc
        return f"Maildir: {key}"

    def close(self) -> None:
        pass


def make_transport(config: Config, settings: NotifySettings):
    if config.smtp_url:
        return SmtpTransport(config.smtp_url, settings.smtp_timeout_seconds)
    return MaildirTransport(config.var_dir / "mail")


class RateLimiter:
    """Spaces sends evenly at `per_second` (0 = unlimited)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


class MailWorker:
    def __init__(self, db: Database, config: Config, settings: NotifySettings, transport=None):
        self.db = db
        self.settings = settings
        self.transport = transport or make_transport(config, settings)
        self.sender = sender_address(config.mail_from).addr_spec
        self.mailer = Mailer(config)
        # The limit is for all mail processes together.
        self.rate = RateLimiter(settings.mail_rate_limit / max(1, settings.mail_processes))
        self.stop_event = threading.Event()
        self._listener: psycopg.Connection | None = None
        self._last_sweep = 0.0
        # A mail stuck in `sending` goes back to the queue within 1.5 timeouts at most.
        self.sweep_interval = min(SWEEP_INTERVAL_SECONDS, settings.mail_sending_timeout_seconds / 2)

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        log.info("mail worker started")
        backoff = Backoff()
        try:
            last_work = time.monotonic()
            while not self.stop_event.is_set():
                try:
                    if time.monotonic() - self._last_sweep > self.sweep_interval:
                        self.sweep()
                        self._last_sweep = time.monotonic()
                    claimed = self.deliver_due()
                    backoff.reset()
                except DATABASE_UNAVAILABLE as exc:
                    delay = backoff.next()
                    log.warning("database unavailable (%s); retrying in %.1f s", exc, delay)
                    self.stop_event.wait(delay)
                    continue
                if claimed:
                    last_work = time.monotonic()
                elif time.monotonic() - last_work > IDLE_DISCONNECT_SECONDS:
                    self.transport.close()
                if claimed < self.settings.mail_batch_size:
                    self._wait_for_mail()
        finally:
            self.transport.close()
            self._close_listener()
        log.info("mail worker stopped")

    # -- claiming and recording -----------------------------------------------------------

    def claim(self, session: Session, now: datetime) -> list[OutgoingMail]:
        """Lock due mail and mark it `sending`; the rows stay readable after the commit.

        One UPDATE with a locking subquery: every sender is woken by every mail queued and
        mostly finds nothing, so an empty claim must cost no more than one statement."""
        due = (
            select(OutgoingMail.id)
            .where(OutgoingMail.state.in_((QUEUED, RETRYING)), OutgoingMail.next_attempt_at <= now)
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(self.settings.mail_batch_size)
        )
        if not self.db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        ids = session.scalars(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_(due.scalar_subquery()))
            .values(state=SENDING, claimed_at=now, attempts=OutgoingMail.attempts + 1)
            .returning(OutgoingMail.id)
            .execution_options(synchronize_session=False)
        ).all()
        if not ids:
            return []
        return list(
            session.scalars(
                select(OutgoingMail)
                .where(OutgoingMail.id.in_(ids))
                .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            )
        )

    def deliver_due(self, now: datetime | None = None) -> int:
        """Send one batch of due mail; returns how many were claimed.

        Each outcome is recorded in its own transaction right after the SMTP answer, so a
        worker killed mid-batch can send again at most the one mail it was sending.
        """
        now = now or utcnow()
        with self.db.transaction() as session:
            claimed = self.claim(session, now)
        for mail in claimed:
            composed: dict[int, bytes] = {}
            replies: dict[int, str | None] = {}
            outcome = self._attempt(mail, composed, replies)
            self._record_until_stored(mail.id, outcome, composed, now, replies)
        return len(claimed)

    def _attempt(
        self,
        mail: OutgoingMail,
        composed: dict[int, bytes],
        replies: dict[int, str | None] | None = None,
    ) -> Exception | None:
        """Compose and send one mail; what goes wrong becomes its outcome, never the worker's.
        The server's answer to a delivered mail goes into `replies`."""
        if mail.recipient is None or (mail.message is None and mail.content is None):
            return PermanentFailure("nothing to send (erased)")
        try:
            recipient = WireAddress.of(mail.recipient).addr_spec
            message = mail.message
            if message is None:
                message = composed[mail.id] = self.mailer.message_bytes(mail)
        except Exception as exc:
            self._log_unexpected(mail, "composing", exc)
            return PermanentFailure(f"The mail could not be composed. ({type(exc).__name__})")
        self.rate.wait()
        try:
            reply = self.transport.send(self.sender, recipient, message)
        except (TemporaryFailure, PermanentFailure) as exc:
            return exc
        except Exception as exc:
            self._log_unexpected(mail, "sending", exc)
            return PermanentFailure(f"The mail could not be sent. ({type(exc).__name__})")
        if replies is not None:
            replies[mail.id] = reply
        return None

    @staticmethod
    def _log_unexpected(mail: OutgoingMail, doing: str, exc: Exception) -> None:
        # The traceback tells a bug from bad input. Its frames are code; its message may quote
        # the input, so it goes without anything address-shaped and without the name.
        message = without_personal_data(str(exc))
        name = (mail.content or {}).get("name")
        if name:
            message = message.replace(name, "<name>")
        log.error(
            "mail %s: %s it failed, so it is marked failed\n%s%s: %s",
            mail.id,
            doing,
            "".join(traceback.format_tb(exc.__traceback__)),
            type(exc).__name__,
            message,
        )

    def _record_until_stored(
        self,
        mail_id: int,
        outcome: Exception | None,
        composed: dict[int, bytes],
        now: datetime,
        replies: dict[int, str | None] | None = None,
    ) -> None:
        # SMTP has answered: losing that answer to a database restart would send the mail twice.
        backoff = Backoff()
        while True:
            try:
                with self.db.transaction() as session:
                    if not self.db.is_sqlite:
                        # Not waiting for the disk flush: a sender otherwise spends most of
                        # its time waiting for one per mail. Only a crash of PostgreSQL
                        # itself within a fraction of a second can lose this record (never a
                        # crash of this worker), and then the mail is sent again.
                        session.execute(text("SET LOCAL synchronous_commit TO off"))
                    self.record(session, {mail_id: outcome}, composed, now, replies)
                return
            except DATABASE_UNAVAILABLE as exc:
                if self.stop_event.is_set():
                    raise
                delay = backoff.next()
                log.warning(
                    "recording mail %s failed (%s); retrying in %.1f s", mail_id, exc, delay
                )
                self.stop_event.wait(delay)

    def record(
        self,
        session: Session,
        outcomes: dict[int, Exception | None],
        composed: dict[int, bytes],
        now: datetime,
        replies: dict[int, str | None] | None = None,
    ) -> None:
        mails = session.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(outcomes)))
        for mail in mails:
            error = outcomes[mail.id]
            if mail.id in composed and mail.content is not None:
                # Kept, so a retry sends the very same bytes (unless erased meanwhile).
                mail.message = composed[mail.id]
            if error is None:
                mail.state = SENT
                mail.sent_at = utcnow()
                mail.last_error = None
                mail.smtp_reply = (replies or {}).get(mail.id)
                self._publish(session, mail, "notify.mail.sent")
            elif isinstance(error, TemporaryFailure) and (
                mail.attempts < self.settings.mail_max_attempts
            ):
                delay = min(
                    self.settings.mail_retry_base_seconds * 2 ** (mail.attempts - 1),
                    self.settings.mail_retry_max_seconds,
                )
                mail.state = RETRYING
                mail.next_attempt_at = now + timedelta(seconds=delay)
                mail.last_error = str(error)
                log.warning("mail %s: %s; retrying in %.0f s", mail.id, error, delay)
            else:
                mail.state = FAILED
                mail.last_error = str(error)
                log.error("mail %s failed after %d attempts: %s", mail.id, mail.attempts, error)
                self._publish(session, mail, "notify.mail.failed", error=str(error))
            if mail.state != RETRYING:
                self._scrub_if_asked(mail)

    @staticmethod
    def _scrub_if_asked(mail: OutgoingMail) -> None:
        if mail.scrub_after_send:
            # Sent or given up: nothing needs the address any more.
            mail.recipient = None
            mail.content = None
            mail.message = None

    @staticmethod
    def _publish(session: Session, mail: OutgoingMail, type_name: str, **extra) -> None:
        add_message(
            session,
            OutboxMessage,
            type_name,
            {
                "mail_id": mail.id,
                "kind": mail.kind,
                "event": mail.event_slug,
                "cause_message_id": mail.cause_message_id,
                "attempts": mail.attempts,
                **extra,
            },
            aggregate=f"mail-{mail.id}",
        )

    def sweep(self, now: datetime | None = None) -> int:
        """Put mail back that a crashed worker left in `sending`; fail it once its attempts
        are used up, so a mail that kills every worker taking it cannot do so forever."""
        now = now or utcnow()
        cutoff = now - timedelta(seconds=self.settings.mail_sending_timeout_seconds)
        stuck = (OutgoingMail.state == SENDING, OutgoingMail.claimed_at < cutoff)
        used_up = select(OutgoingMail).where(
            *stuck, OutgoingMail.attempts >= self.settings.mail_max_attempts
        )
        if not self.db.is_sqlite:
            # Another sender sweeping at the same time then sees them failed: one message each.
            used_up = used_up.with_for_update()
        with self.db.transaction() as session:
            for mail in session.scalars(used_up):
                mail.state = FAILED
                mail.last_error = WORKER_DIED
                self._scrub_if_asked(mail)
                log.error("mail %s failed: its worker stopped on every attempt", mail.id)
                self._publish(session, mail, "notify.mail.failed", error=WORKER_DIED)
            session.flush()
            result = session.execute(
                update(OutgoingMail)
                .where(*stuck)
                .values(state=RETRYING, next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
        if result.rowcount:
            log.warning("requeued %d mails stuck in sending", result.rowcount)
        return result.rowcount

    # -- waiting for work -----------------------------------------------------------------

    def _wait_for_mail(self) -> None:
        timeout = self.settings.mail_poll_seconds
        if self.db.is_sqlite:
            self.stop_event.wait(timeout)
            return
        try:
            listener = self._listen()
            for _ in listener.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error as exc:
            log.warning("LISTEN failed (%s); polling instead", exc)
            self._close_listener()
            self.stop_event.wait(timeout)

    def _listen(self) -> psycopg.Connection:
        if self._listener is None or self._listener.closed:
            self._listener = direct_connection(self.db.engine)
            self._listener.execute(f'LISTEN "{MAIL_READY_CHANNEL}"')
        return self._listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error):
                self._listener.close()
            self._listener = None
