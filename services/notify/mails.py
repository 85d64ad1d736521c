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
import string
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address, HeaderRegistry, UniqueUnstructuredHeader
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


# A header line SHOULD stay within 78 characters (RFC 5322 2.1.1), an encoded word within 75
# (RFC 2047 2); the characters an encoded word may carry as they are anywhere (RFC 2047 5(3)).
_HEADER_LINE = 78
_ENCODED_WORD = 75
_Q_PREFIX, _Q_SUFFIX = "=?utf-8?q?", "?="
_Q_SAFE = frozenset(string.ascii_letters + string.digits + "!*+-/")


def _q_encoded(char: str) -> str:
    if char == " ":
        return "_"
    if char in _Q_SAFE:
        return char
    return "".join(f"={byte:02X}" for byte in char.encode("utf-8", "replace"))


def fold_unstructured(name: str, value: str) -> list[str]:
    """The lines of header `name` with the one-line text `value`, each within 78 characters,
    so that unfolding gives back exactly `value`.

    Python's own folder (3.11) moves a value that does not fit after the name to the next line,
    which decoders read with a leading space, and puts two spaces before an encoded word after
    a fold, which some keep. So: ASCII text is folded before one of its own spaces; anything
    else (or a word too long for a line) is written as encoded words that hold the spaces
    themselves, one per line: the folds between them are not part of the text (RFC 2047 6.2).
    """
    head = len(name) + 2
    if value.isascii():
        lines = [""]
        for piece in re.findall(r" *[^ ]+| +$", value):
            room = _HEADER_LINE - (head if len(lines) == 1 else 0)
            if lines[-1] and len(lines[-1]) + len(piece) > room:
                lines.append(piece)
            else:
                lines[-1] += piece
        if all(len(line) <= _HEADER_LINE - (head if i == 0 else 0) for i, line in enumerate(lines)):
            return lines
    overhead = len(_Q_PREFIX) + len(_Q_SUFFIX)
    words = [""]
    for char in value:
        encoded = _q_encoded(char)
        line = head if len(words) == 1 else 1
        room = min(_HEADER_LINE - line, _ENCODED_WORD) - overhead
        if words[-1] and len(words[-1]) + len(encoded) > room:
            words.append(encoded)
        else:
            words[-1] += encoded
    return [f"{'' if i == 0 else ' '}{_Q_PREFIX}{word}{_Q_SUFFIX}" for i, word in enumerate(words)]


class SubjectHeader(UniqueUnstructuredHeader):
    """A Subject folded by `fold_unstructured`, in ASCII whatever the policy (encoded words are
    understood everywhere, also by SMTPUTF8 servers)."""

    def fold(self, *, policy) -> str:
        lines = fold_unstructured(self.name, str(self))
        return f"{self.name}: " + policy.linesep.join(lines) + policy.linesep


class _CachingHeaderRegistry(HeaderRegistry):
    """The standard registry builds a new header class on every header it parses; building a
    mail sets dozens of headers, so the classes are made once per header name."""

    def __init__(self):
        super().__init__()
        self.map_to_type("subject", SubjectHeader)
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


def render(
    kind: str, locale: str, context: dict[str, Any], *, can_reply: bool = False
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a mail; the subject is `{% set subject %}` in the .txt.
    `kind` names the templates; `can_reply`: the mail has a Reply-To, so its footer may invite
    replies (a mail from the no-reply sender alone must not)."""
    context = {**context, "can_reply": can_reply}
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
        self.reply_to = sender_address(config.mail_reply_to) if config.mail_reply_to else None
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
        template: str | None = None,
        invitations: list[tuple[str, bytes, str]] | None = None,
        qr_codes: list[str] | None = None,
    ) -> bytes:
        """The mail as sent. Raises ValueError for an address that cannot be written.

        A mail about one ticket has at most one `invitation` and one `qr_code`; a mail about
        several sessions has `invitations` (method, iCalendar, file name), one per session
        with a seat, a QR code per seat of a booking (`qr_codes`), and is written from
        `template`."""
        to = WireAddress.of(recipient.email)
        if invitation is not None:
            invitations = [(*invitation, "invite.ics")]
        codes = [qr_code] if qr_code else list(qr_codes or [])
        local_id = message_id.split("@", 1)[0]
        qr_cids = {
            code: f"qr.{message_id}" if index == 0 else f"qr{index}.{message_id}"
            for index, code in enumerate(codes)
        }
        subject, plain, html = render(
            template or kind,
            recipient.locale,
            {**context, "qr_cid": qr_cids.get(qr_code), "qr_cids": qr_cids},
            can_reply=self.reply_to is not None,
        )
        message = EmailMessage(policy=SMTPUTF8_POLICY if to.needs_smtputf8 else MAIL_POLICY)
        message["Subject"] = subject
        message["From"] = self.sender
        if self.reply_to is not None:
            message["Reply-To"] = self.reply_to
        # Python's header parser decodes RFC 2047 words anywhere in an address, even in a
        # quoted local part, and "=?utf-8?q?=0D=0ABcc:...?=@example.org" is a valid address:
        # the header is folded around a stand-in, and the checked address is put in as bytes.
        stand_in = f"to-{local_id}@stand-in.invalid"
        message["To"] = Address(display_name=single_line(recipient.name), addr_spec=stand_in)
        message["Date"] = rfc2822_datetime(utcnow())
        message["Message-ID"] = f"<{message_id}>"
        message["Auto-Submitted"] = "auto-generated"
        # Boundaries given up front spare the generator searching the body for a free one;
        # "=_" cannot occur at a line start in quoted-printable or base64 parts.
        boundary = f"=_{local_id}_"
        message.set_content(plain, cte="quoted-printable")
        message.make_alternative(boundary=boundary + "alt")
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        if qr_cids:
            html_part = message.get_payload()[1]
            html_part.make_related(boundary=boundary + "rel")
            for index, (code, cid) in enumerate(qr_cids.items()):
                html_part.add_related(
                    qr_png(code),
                    "image",
                    "png",
                    cid=f"<{cid}>",
                    filename="ticket-qr.png" if index == 0 else f"ticket-qr-{index + 1}.png",
                )
        if invitations:
            # RFC 6047: the iTIP object as an alternative that clients act on, plus the same
            # file attached for clients that only offer attachments. One iTIP REQUEST holds
            # one UID (RFC 5546 3.2.2) and clients act on the first calendar part only, so a
            # mail about several sessions offers the first inline and each one as a file.
            method, ics, _ = invitations[0]
            message.add_alternative(
                ics.decode(), subtype="calendar", params={"method": method}, cte="quoted-printable"
            )
            message.make_mixed(boundary=boundary + "mix")
            for _, ics, filename in invitations:
                message.add_attachment(
                    ics, maintype="application", subtype="ics", filename=filename
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
            # Only in mails about several sessions.
            template=content.get("template"),
            invitations=[
                (method, ics.encode(), filename)
                for method, ics, filename in content.get("invitations", [])
            ],
            qr_codes=content.get("qr_codes"),
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
        bundle: dict[str, Any] | None = None,
    ) -> OutgoingMail | None:
        """Queue one mail unless this (cause, recipient, kind) was queued before (callers
        queueing many mails check that in bulk with `queued_keys` and pass `known_new`).

        `bundle`: a mail about several sessions (a booking, the changes of a release),
        {"template", "invitations": [(ProgrammeSession, method)], "qr_codes"}; the mail's
        `kind` says what it is in the mail history."""
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
        content = {
            "name": recipient.name,
            "locale": recipient.locale,
            "context": context,
            "invitation": [invitation[0], invitation[1].decode()] if invitation else None,
            "qr_code": qr_code,
        }
        if bundle is not None:
            content["template"] = bundle["template"]
            content["invitations"] = [
                [method, self.invitation(about, recipient, method)[1].decode(), f"invite-{i}.ics"]
                for i, (about, method) in enumerate(bundle["invitations"], 1)
            ]
            content["qr_codes"] = bundle["qr_codes"]
        mail = OutgoingMail(
            dedup_key=dedup_key,
            kind=kind,
            event_slug=event_slug,
            cause_message_id=cause_message_id,
            attendee_id=recipient.attendee_id,
            session_id=programme_session.id if programme_session is not None else None,
            recipient=clean_address(recipient.email),
            content=content,
            scrub_after_send=scrub_after_send,
            state=QUEUED,
            attempts=0,
            next_attempt_at=utcnow(),
        )
        session.add(mail)
        notify_after_commit(session, MAIL_READY_CHANNEL)
        return mail
