"""Composing mails from the per-locale templates and queueing them for the delivery worker.

Texts are whole per-locale Jinja2 templates (`templates/mail/<locale>/<kind>.txt|.html`), not
gettext catalogues: mails are prose that translators edit as a whole, there is no compile step,
and the consumer and worker render them without a Flask app or request. Babel formats dates.

What a mail says (context, invitation, QR code) is fixed when it is queued, in the transaction
of its cause: what is sent is what was true then. Composing the MIME message costs more than
everything else a consumer does, so the delivery worker does it, once, and keeps the bytes for
retries (the Message-ID derives from the dedup key).

Addresses are what registration accepts (RFC 6531): IDN domains go out as A-labels (punycode),
which every server takes; a local part with non-ASCII letters needs SMTPUTF8, so its mail is
serialised with raw UTF-8 headers (RFC 6532) and the transport asks for SMTPUTF8.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import idna
import segno
from babel.dates import format_datetime, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify import calendars
from services.notify.models import OutgoingMail, ProgrammeSession
from services.notify.models.mail import QUEUED
from shared.config import Config
from shared.db import utcnow
from shared.links import web_url_or_empty
from shared.outbox import notify_after_commit
from shared.ticket_codes import printed as printed_ticket_code

MAIL_KINDS = (
    "ticket_confirmed",
    "ticket_promoted",
    "ticket_held",
    "ticket_waitlisted",
    "ticket_cancelled",
    "session_changed",
    "session_cancelled",
    "reminder",
    "attendee_erased",
    "manage_link",
    "organiser_password_link",
    # An organiser's own words to the attendees of an event or a session (attendee_messages.py).
    "organiser_message",
)
MAIL_READY_CHANNEL = "outgoing_mail_ready"
TEMPLATES_DIR = Path(__file__).parent / "templates"
_NAME_ADDR_RE = re.compile(r"^\s*(.*?)\s*<([^<>]+)>\s*$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
# RFC 5322 dot-atom with RFC 6532's UTF-8 (no surrogates): what email-validator lets through
# and what can be written into a header as it is. Quoted local parts are refused there.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\ud7ff\ue000-\U0010ffff-]+"
_LOCAL_PART_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_ASCII_DOMAIN_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
# 24-hour times in English too, as the site shows them.
_DATETIME_FORMAT = {"de": "EEEE, d. MMMM y, HH:mm 'Uhr'", "en": "EEEE, d MMMM y, HH:mm"}
_TIME_FORMAT = {"de": "HH:mm 'Uhr'", "en": "HH:mm"}

templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    # Templates ship with the code: checking their files' mtimes on every mail is wasted work.
    auto_reload=False,
)
templates.filters["ticket_code"] = printed_ticket_code


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as HTML mail shows it: paragraphs (split at blank lines) of lines."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [block.strip("\n").split("\n") for block in blocks if block.strip()]


templates.filters["paragraphs"] = paragraphs


class _CachingHeaderRegistry(HeaderRegistry):
    """The standard registry builds a new header class on every header it parses; building a
    mail sets dozens of headers, so the classes are made once per header name."""

    def __init__(self):
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


MAIL_POLICY = policy.SMTP.clone(header_factory=_CachingHeaderRegistry())
# For a recipient whose local part is not ASCII: headers in UTF-8, sent with SMTPUTF8.
SMTPUTF8_POLICY = MAIL_POLICY.clone(utf8=True)


def single_line(value: str) -> str:
    """Collapse line breaks and control characters, so no value can start a new header line.

    An RFC 2047 encoded word typed as a name ("=?utf-8?q?Eve=0D=0ABcc...?=") is broken up with
    an invisible word joiner: Python's header folding would otherwise decode it and write the
    line break it hides (seen on Python 3.11.7)."""
    return _CONTROL_RE.sub(" ", value).strip().replace("=?", "=\u2060?")


def ascii_domain(domain: str) -> str:
    """The domain in A-labels (IDNA 2008, as email-validator checks it): "müller.example" ->
    "xn--mller-kva.example"."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"domain is not a valid IDN: {exc}") from None


@dataclass(frozen=True)
class WireAddress:
    """An address as it goes into the envelope and the To header."""

    local_part: str
    domain: str

    @classmethod
    def of(cls, email: str) -> WireAddress:
        local_part, _, domain = email.rpartition("@")
        domain = ascii_domain(domain)
        if not _LOCAL_PART_RE.fullmatch(local_part) or not _ASCII_DOMAIN_RE.fullmatch(domain):
            raise ValueError("not an address that can be written into a mail header")
        return cls(local_part, domain)

    @property
    def addr_spec(self) -> str:
        return f"{self.local_part}@{self.domain}"

    @property
    def needs_smtputf8(self) -> bool:
        return not self.local_part.isascii()


def sender_address(mail_from: str) -> Address:
    """`MAIL_FROM` as an Address; "to:DO Dortmund <x@y>" is meant as a display name, not as
    RFC 5322 group syntax, so the part before `<` is taken whole."""
    match = _NAME_ADDR_RE.match(mail_from)
    name, spec = (match[1].strip().strip('"'), match[2]) if match else ("", mail_from.strip())
    address = Address(addr_spec=spec)
    return Address(
        display_name=single_line(name),
        username=address.username,
        domain=ascii_domain(address.domain),
    )


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    locale: str
    attendee_id: int


def clean_address(email: str) -> str:
    """Without control characters; unlike `single_line`, "=?" stays, since it is part of an
    address (the header is safe from it, see `Mailer.compose`)."""
    return _CONTROL_RE.sub("", email).strip()


def qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    # A fixed mask: trying all eight for the least scanner-unfriendly pattern cost more than
    # half of a confirmation mail's QR code, and every mask decodes alike.
    segno.make(code, error="m", mask=0, micro=False, boost_error=False).save(
        buffer, kind="png", scale=6, border=2
    )
    return buffer.getvalue()


def local_datetime(moment: datetime, timezone: str, locale: str) -> str:
    return format_datetime(
        moment, _DATETIME_FORMAT[locale], tzinfo=ZoneInfo(timezone), locale=locale
    )


def session_details(programme_session: ProgrammeSession, locale: str) -> dict[str, Any]:
    timezone = programme_session.event.timezone
    return {
        "id": programme_session.id,
        "title": programme_session.title_for(locale),
        "starts": local_datetime(programme_session.starts_at, timezone, locale),
        "ends": format_time(
            programme_session.ends_at,
            _TIME_FORMAT[locale],
            tzinfo=ZoneInfo(timezone),
            locale=locale,
        ),
        "location": programme_session.location,
        "stream_url": web_url_or_empty(programme_session.livestream_url),
        "url": calendars.session_url(programme_session),
        "speakers": [calendars.speaker_line(s) for s in programme_session.speakers],
        "cancelled": programme_session.cancelled,
    }


def render(kind: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a mail; the subject is `{% set subject %}` in the .txt."""
    text_module = templates.get_template(f"mail/{locale}/{kind}.txt").make_module(context)
    subject = single_line(str(text_module.subject))
    html = templates.get_template(f"mail/{locale}/{kind}.html").render(
        context, subject=subject, locale=locale
    )
    return subject, str(text_module), html


class Mailer:
    """Composes and queues mails; one per process, built from the configuration."""

    def __init__(self, config: Config):
        self.sender = sender_address(config.mail_from)
        self.organizer_email = config.organizer_email
        self.host = calendars.calendar_host(config.public_base_url)
        self.notify_url = config.service_urls["notify"]
        # Invitations without their ATTENDEE line, by session version, method, language and
        # DTSTAMP (to the second): one rendering serves every attendee of a change.
        self._frames: dict[tuple, tuple[bytes, bytes]] = {}

    def personal_feed_url(self, event_slug: str, feed_token: str) -> str:
        return f"{self.notify_url}/{event_slug}/calendar/personal/{feed_token}.ics"

    def compose(
        self,
        *,
        kind: str,
        recipient: Recipient,
        context: dict[str, Any],
        message_id: str,
        invitation: tuple[str, bytes] | None = None,
        qr_code: str | None = None,
    ) -> bytes:
        """The mail as sent. Raises ValueError for an address that cannot be written."""
        to = WireAddress.of(recipient.email)
        qr_cid = f"qr.{message_id}" if qr_code else None
        subject, plain, html = render(kind, recipient.locale, {**context, "qr_cid": qr_cid})
        message = EmailMessage(policy=SMTPUTF8_POLICY if to.needs_smtputf8 else MAIL_POLICY)
        message["Subject"] = subject
        message["From"] = self.sender
        # Python's header parser decodes RFC 2047 words anywhere in an address, even in a
        # quoted local part, and "=?utf-8?q?=0D=0ABcc:...?=@example.org" is a valid address:
        # the header is folded around a stand-in, and the checked address is put in as bytes.
        stand_in = f"to-{message_id.split('@', 1)[0]}@stand-in.invalid"
        message["To"] = Address(display_name=single_line(recipient.name), addr_spec=stand_in)
        message["Date"] = rfc2822_datetime(utcnow())
        message["Message-ID"] = f"<{message_id}>"
        message["Auto-Submitted"] = "auto-generated"
        # Boundaries given up front spare the generator searching the body for a free one;
        # "=_" cannot occur at a line start in quoted-printable or base64 parts.
        boundary = f"=_{message_id.split('@', 1)[0]}_"
        message.set_content(plain, cte="quoted-printable")
        message.make_alternative(boundary=boundary + "alt")
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        if qr_code:
            html_part = message.get_payload()[1]
            html_part.make_related(boundary=boundary + "rel")
            html_part.add_related(
                qr_png(qr_code), "image", "png", cid=f"<{qr_cid}>", filename="ticket-qr.png"
            )
        if invitation is not None:
            method, ics = invitation
            # RFC 6047: the iTIP object as an alternative that clients act on, plus the same
            # file attached for clients that only offer attachments.
            message.add_alternative(
                ics.decode(), subtype="calendar", params={"method": method}, cte="quoted-printable"
            )
            message.make_mixed(boundary=boundary + "mix")
            message.add_attachment(
                ics, maintype="application", subtype="ics", filename="invite.ics"
            )
        # After the parts: making a message multipart moves its Content-* headers to a part.
        message["Content-Language"] = recipient.locale
        return message.as_bytes().replace(stand_in.encode(), to.addr_spec.encode(), 1)

    def invitation(
        self, programme_session: ProgrammeSession, recipient: Recipient, method: str
    ) -> tuple[str, bytes]:
        dtstamp = utcnow().replace(microsecond=0)
        key = (
            programme_session.id,
            programme_session.sequence,
            programme_session.modified_at,
            programme_session.event.title,
            method,
            recipient.locale,
            dtstamp,
        )
        frame = self._frames.get(key)
        if frame is None:
            if len(self._frames) > 64:
                self._frames.clear()
            frame = self._frames[key] = calendars.invitation_frame(
                programme_session,
                method=method,
                host=self.host,
                locale=recipient.locale,
                dtstamp=dtstamp,
                organizer_email=self.organizer_email,
                organizer_name=single_line(programme_session.event.title),
            )
        head, tail = frame
        line = calendars.attendee_line(
            single_line(recipient.name), clean_address(recipient.email), method
        )
        return method, head + line + tail

    @staticmethod
    def dedup_key(cause: str, attendee_id: int, kind: str) -> str:
        # Ids, not addresses, so the key holds no personal data once the mail is scrubbed.
        return f"{cause}|attendee-{attendee_id}|{kind}"

    @staticmethod
    def queued_keys(session: Session, keys: list[str]) -> set[str]:
        return set(
            session.scalars(select(OutgoingMail.dedup_key).where(OutgoingMail.dedup_key.in_(keys)))
        )

    def message_id(self, dedup_key: str) -> str:
        return f"{hashlib.sha256(dedup_key.encode()).hexdigest()[:32]}@{self.host}"

    def message_bytes(self, mail: OutgoingMail) -> bytes:
        """The mail as sent: composed from the content fixed when it was queued."""
        content = mail.content
        invitation = content["invitation"]
        return self.compose(
            kind=mail.kind,
            recipient=Recipient(
                content["name"], mail.recipient, content["locale"], mail.attendee_id
            ),
            context=content["context"],
            message_id=self.message_id(mail.dedup_key),
            invitation=(invitation[0], invitation[1].encode()) if invitation else None,
            qr_code=content["qr_code"],
        )

    def queue(
        self,
        session: Session,
        *,
        kind: str,
        cause: str,
        recipient: Recipient,
        event_slug: str | None,
        context: dict[str, Any],
        programme_session: ProgrammeSession | None = None,
        invitation_method: str | None = None,
        qr_code: str | None = None,
        cause_message_id: str | None = None,
        scrub_after_send: bool = False,
        known_new: bool = False,
    ) -> OutgoingMail | None:
        """Queue one mail unless this (cause, recipient, kind) was queued before (callers
        queueing many mails check that in bulk with `queued_keys` and pass `known_new`)."""
        if kind not in MAIL_KINDS:
            raise ValueError(f"unknown mail kind {kind!r}")
        dedup_key = self.dedup_key(cause, recipient.attendee_id, kind)
        if not known_new and self.queued_keys(session, [dedup_key]):
            return None
        invitation = (
            self.invitation(programme_session, recipient, invitation_method)
            if invitation_method and programme_session is not None
            else None
        )
        mail = OutgoingMail(
            dedup_key=dedup_key,
            kind=kind,
            event_slug=event_slug,
            cause_message_id=cause_message_id,
            attendee_id=recipient.attendee_id,
            session_id=programme_session.id if programme_session is not None else None,
            recipient=clean_address(recipient.email),
            content={
                "name": recipient.name,
                "locale": recipient.locale,
                "context": context,
                "invitation": [invitation[0], invitation[1].decode()] if invitation else None,
                "qr_code": qr_code,
            },
            scrub_after_send=scrub_after_send,
            state=QUEUED,
            attempts=0,
            next_attempt_at=utcnow(),
        )
        session.add(mail)
        notify_after_commit(session, MAIL_READY_CHANNEL)
        return mail
