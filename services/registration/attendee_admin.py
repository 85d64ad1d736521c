"""Attendee admin for organisers (issue 13, pretix's order admin as the model): find attendees by
name, email or ticket code, see one with all their tickets, cancel a ticket on their behalf,
promote from the waiting list by hand, register a walk-in at the door, resend a confirmation or
the manage link.

Every action goes through the same domain functions and messages as the attendee's own
(`manage.cancel_ticket`, `seats.promote`, `booking.register`, `checkin.check_in`,
`publishing`), so seats stay exact and notify stays in step, and writes an audit entry with ids
only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.orm import Session

from services.registration.audit import audit
from services.registration.booking import find_event, register
from services.registration.checkin import CheckIn, check_in, checkin_answer, is_on
from services.registration.manage import cancel_ticket
from services.registration.models import Attendee, ProgrammeSession, Seat, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.publishing import publish_link_requested, publish_ticket
from services.registration.seats import (
    claim_seat,
    free_seat_exists,
    lock_session,
    needs_confirmation,
    promote,
)
from services.registration.settings import Links, RegistrationSettings
from shared.audit import (
    ATTENDEE_MAIL_RESENT,
    TICKET_CANCELLED_BY_ORGANISER,
    TICKET_PROMOTED_BY_HAND,
    TICKET_WALK_IN,
)
from shared.db import utcnow
from shared.errors import UNKNOWN, Conflict, DomainError, NotFound
from shared.i18n import N_
from shared.ticket_codes import printed

RESEND_CONFIRMATION = "confirmation"
RESEND_MANAGE_LINK = "manage_link"
RESEND_WHAT = (RESEND_CONFIRMATION, RESEND_MANAGE_LINK)
# A status mail again per ticket: the message verb of each status.
_STATUS_VERBS = {CONFIRMED: "confirmed", HELD: "held", WAITLISTED: "waitlisted"}
# Spaces and dashes between the groups of a printed code (as `codes.lookup_codes` drops them).
_CODE_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]+")
_CODE_CHARACTERS = re.compile(r"[0-9A-Z]+")
# Fewer characters of a code match too many codes by chance to be searched for inside codes.
MIN_CODE_PART = 4
_LIKE_ESCAPE = "\\"


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    items: list[dict]
    total: int


def _folded(text: str) -> str:
    """`text` as compared: composed (NFC) and case-folded ("JÜRGEN" → "jürgen", "ß" → "ss")."""
    return unicodedata.normalize("NFC", text).casefold()


def _like_pattern(query: str) -> str:
    """`%query%` for LIKE against lower-cased columns: ASCII letters lower-cased, LIKE's own
    characters (`%`, `_`, the escape) escaped, every other character one `_`. SQLite's lower()
    folds ASCII only and PostgreSQL's depends on the database's locale, so the database only
    narrows the candidates down and `_matches` decides in Python when the query is not ASCII."""
    parts = []
    for char in query:
        if not char.isascii():
            parts.append("_")
        elif char in "%_" + _LIKE_ESCAPE:
            parts.append(_LIKE_ESCAPE + char)
        else:
            parts.append(char.lower())
    return f"%{''.join(parts)}%"


def _code_part(query: str) -> str | None:
    """The query as (part of) a new ticket code in its stored form: typed in any case, with or
    without the dashes of the printed form; None if it cannot be one."""
    compact = _CODE_SEPARATORS.sub("", query).upper()
    if len(compact) >= MIN_CODE_PART and _CODE_CHARACTERS.fullmatch(compact):
        return compact
    return None


def _matching(event_id: int, query: str):
    """The condition on Attendee (of the event, not erased) for `query` ("" for everyone)."""
    condition = (Attendee.event_id == event_id) & Attendee.erased_at.is_(None)
    if not query:
        return condition
    pattern = _like_pattern(query)
    ticket_matches = [
        func.lower(Ticket.name).like(pattern, escape=_LIKE_ESCAPE),
        # Codes issued before the short ones are matched exactly as issued.
        Ticket.code == query,
    ]
    code = _code_part(query)
    if code is not None:
        ticket_matches.append(Ticket.code.contains(code))
    return condition & or_(
        func.lower(Attendee.name).like(pattern, escape=_LIKE_ESCAPE),
        func.lower(Attendee.email).like(pattern, escape=_LIKE_ESCAPE),
        exists().where(Ticket.attendee_id == Attendee.id, or_(*ticket_matches)),
    )


def _matches(query: str, texts: list[str], codes: list[str]) -> bool:
    """The exact test of a candidate: a name, a ticket's name or the email contains the query
    (case-folded), or a code matches it as `_matching` matches codes."""
    folded = _folded(query)
    code = _code_part(query)
    return (
        any(folded in _folded(text) for text in texts)
        or query in codes
        or (code is not None and any(code in stored for stored in codes))
    )


_NEWEST_FIRST = (Attendee.created_at.desc(), Attendee.id.desc())


def search_attendees(
    session: Session, event_slug: str, query: str, page: int, page_size: int
) -> SearchResult:
    """One page of the event's attendees (erased ones left out) whose name, any ticket's name,
    email or a ticket's code matches `query`, newest first, with their tickets; an empty query
    finds everyone. Case does not matter, umlauts included; `%` and `_` are plain characters; a
    code is found as printed or typed in lower case, with or without its dashes."""
    event_ = find_event(session, event_slug)
    query = query.strip()
    condition = _matching(event_.id, query)
    if query.isascii():
        total = session.scalar(select(func.count()).select_from(Attendee).where(condition))
        attendees = session.scalars(
            select(Attendee)
            .where(condition)
            .order_by(*_NEWEST_FIRST)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
    else:
        # The database finds candidates (a `_` stands for each letter it cannot fold); Python
        # folds them exactly.
        candidates = select(Attendee.id).where(condition)
        rows = session.execute(
            select(Attendee.id, Attendee.name, Attendee.email, Ticket.name, Ticket.code)
            .outerjoin(Ticket, Ticket.attendee_id == Attendee.id)
            .where(Attendee.id.in_(candidates))
            .order_by(*_NEWEST_FIRST)
        ).all()
        texts: dict[int, list[str]] = {}
        codes: dict[int, list[str]] = {}
        for attendee_id, name, email, ticket_name, code in rows:
            texts.setdefault(attendee_id, [name, email])
            codes.setdefault(attendee_id, [])
            if code is not None:
                texts[attendee_id].append(ticket_name or "")
                codes[attendee_id].append(code)
        found = [i for i in texts if _matches(query, texts[i], codes[i])]
        total = len(found)
        chosen = found[(page - 1) * page_size : page * page_size]
        by_id = {a.id: a for a in session.scalars(select(Attendee).where(Attendee.id.in_(chosen)))}
        attendees = [by_id[i] for i in chosen]
    tickets = _tickets_of(session, [a.id for a in attendees])
    return SearchResult(
        [_attendee_item(a, tickets.get(a.id, [])) for a in attendees],
        total,
    )


def _tickets_of(session: Session, attendee_ids: list[int]) -> dict[int, list[dict]]:
    """The tickets of these attendees (in the order of their sessions), as `_ticket_item`s."""
    if not attendee_ids:
        return {}
    tickets = session.scalars(
        select(Ticket)
        .join(ProgrammeSession, Ticket.session_id == ProgrammeSession.id)
        .where(Ticket.attendee_id.in_(attendee_ids))
        .order_by(ProgrammeSession.starts_at, Ticket.session_id)
    ).all()
    positions = _waitlist_positions(
        session, {t.session_id for t in tickets if t.status == WAITLISTED}
    )
    found: dict[int, list[dict]] = {}
    for ticket in tickets:
        found.setdefault(ticket.attendee_id, []).append(
            _ticket_item(ticket, positions.get(ticket.id))
        )
    return found


def _waitlist_positions(session: Session, session_ids: set[int]) -> dict[int, int]:
    """{ticket id: place on its session's waiting list} for every ticket waiting for one of the
    sessions, in one query (first come, first served, as `publishing.waitlist_position`)."""
    if not session_ids:
        return {}
    place = func.row_number().over(
        partition_by=Ticket.session_id, order_by=(Ticket.requested_at, Ticket.id)
    )
    rows = session.execute(
        select(Ticket.id, place).where(
            Ticket.session_id.in_(sorted(session_ids)), Ticket.status == WAITLISTED
        )
    ).all()
    return dict(rows)


def _ticket_item(ticket: Ticket, position: int | None) -> dict:
    programme_session = ticket.session
    return {
        "id": ticket.id,
        "attendee": ticket.attendee_id,
        "session": ticket.session_id,
        "title": programme_session.title,
        "title_en": programme_session.title_en,
        "starts_at": programme_session.starts_at,
        "ends_at": programme_session.ends_at,
        "name": ticket.name,
        "status": ticket.status,
        "waitlist_position": position,
        "code": printed(ticket.code),
        "requested_at": ticket.requested_at,
        "hold_expires_at": ticket.hold_expires_at,
        "checked_in_at": ticket.checked_in_at,
        "checked_in_by": ticket.checked_in_by,
        "cancelled_at": ticket.cancelled_at,
        "cancel_reason": ticket.cancel_reason,
    }


def _attendee_item(attendee: Attendee, tickets: list[dict]) -> dict:
    return {
        "id": attendee.id,
        "name": attendee.name,
        "email": attendee.email,
        "locale": attendee.locale,
        "registered_at": attendee.created_at,
        "email_confirmed_at": attendee.email_confirmed_at,
        "tickets": tickets,
    }


def _attendee_of_event(session: Session, event_slug: str, attendee_id: int) -> Attendee:
    event_ = find_event(session, event_slug)
    attendee = session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event_.id or attendee.erased_at is not None:
        raise NotFound(N_("There is no such attendee."), {"attendee": [UNKNOWN]})
    return attendee


def _ticket_of_event(session: Session, event_slug: str, ticket_id: int) -> Ticket:
    event_ = find_event(session, event_slug)
    ticket = session.scalar(
        select(Ticket)
        .join(Attendee, Ticket.attendee_id == Attendee.id)
        .where(
            Ticket.id == ticket_id,
            Attendee.event_id == event_.id,
            Attendee.erased_at.is_(None),
        )
    )
    if ticket is None:
        raise NotFound(N_("There is no such ticket."), {"ticket": [UNKNOWN]})
    return ticket


def attendee_record(session: Session, event_slug: str, attendee_id: int) -> dict:
    """The attendee with all their tickets (status, place on the waiting list, code, check-in
    by whom and when, cancellation); a waiting ticket says whether its session is full
    (`session_full`: promoting it then needs a seat beyond the capacity). NotFound naming
    `attendee` if they are not of this event or were erased."""
    attendee = _attendee_of_event(session, event_slug, attendee_id)
    tickets = _tickets_of(session, [attendee.id]).get(attendee.id, [])
    for ticket in tickets:
        if ticket["status"] == WAITLISTED:
            ticket["session_full"] = not free_seat_exists(session, ticket["session"])
    return _attendee_item(attendee, tickets)


def ticket_record(session: Session, ticket: Ticket) -> dict:
    """One ticket as `attendee_record` shows it."""
    positions = _waitlist_positions(session, {ticket.session_id})
    return _ticket_item(ticket, positions.get(ticket.id))


# -- acting for an attendee ----------------------------------------------------------------------


def _ids(ticket: Ticket) -> dict:
    return {"ticket": ticket.id, "session": ticket.session_id, "attendee": ticket.attendee_id}


def cancel_on_behalf(
    session: Session,
    event_slug: str,
    ticket_id: int,
    links: Links,
    settings: RegistrationSettings,
) -> dict:
    """Cancel a ticket for its holder (reason `organiser`): the seat goes to the first person
    waiting (before the start), the holder gets the cancellation mail. Conflict if it already
    was cancelled."""
    ticket = _ticket_of_event(session, event_slug, ticket_id)
    if not cancel_ticket(session, ticket, "organiser", links, settings):
        raise Conflict(
            N_("This ticket is already cancelled."),
            {"ticket": [N_("Status: %(status)s", status=ticket.status)]},
        )
    audit(session, event_slug, TICKET_CANCELLED_BY_ORGANISER, _ids(ticket))
    return ticket_record(session, ticket)


def _add_seat(session: Session, session_id: int, ticket_id: int) -> None:
    """One more seat row for the session, beyond its capacity, taken by `ticket_id`; the caller
    holds the session lock. `seats.release_seat` removes it again when it is given up."""
    highest = session.scalar(
        select(func.coalesce(func.max(Seat.number), 0)).where(Seat.session_id == session_id)
    )
    session.execute(
        insert(Seat).values(session_id=session_id, number=highest + 1, ticket_id=ticket_id)
    )


def _still_open(programme_session: ProgrammeSession, now: datetime, field: str) -> None:
    if programme_session.is_cancelled:
        raise Conflict(N_("The session is cancelled."), {field: [N_("The session is cancelled.")]})
    if programme_session.ends_at <= now:
        raise Conflict(N_("The session is over."), {field: [N_("The session is over.")]})


def promote_by_hand(
    session: Session,
    event_slug: str,
    ticket_id: int,
    links: Links,
    settings: RegistrationSettings,
    over_capacity: bool = False,
) -> dict:
    """A waiting ticket gets a seat now, ahead of the waiting list's order: a free seat if there
    is one (after the start free seats are kept for the door, so there may be), otherwise, only
    with `over_capacity` (the organiser confirmed it), one seat beyond the capacity. Published
    as `promoted`, like a promotion by the waiting list. Conflict if the ticket is not waiting,
    or naming `over_capacity` if the session is full."""
    ticket = _ticket_of_event(session, event_slug, ticket_id)
    programme_session = lock_session(session, ticket.session_id)
    session.refresh(ticket, with_for_update={"of": Ticket})
    if ticket.status != WAITLISTED:
        raise Conflict(
            N_("This ticket is not on the waiting list."),
            {"ticket": [N_("Status: %(status)s", status=ticket.status)]},
        )
    _still_open(programme_session, utcnow(), "ticket")
    added = False
    if not claim_seat(session, programme_session.id, ticket.id):
        if not over_capacity:
            raise Conflict(
                N_(
                    "The session is full (capacity: %(capacity)s). To seat this person anyway, "
                    "confirm one seat beyond the capacity.",
                    capacity=programme_session.capacity,
                ),
                {"over_capacity": [N_("Confirm to add one seat beyond the capacity.")]},
            )
        _add_seat(session, programme_session.id, ticket.id)
        added = True
    promote(session, ticket, links, settings)
    audit(session, event_slug, TICKET_PROMOTED_BY_HAND, {**_ids(ticket), "over_capacity": added})
    return ticket_record(session, ticket)


@dataclass(frozen=True)
class WalkIn:
    check_in: CheckIn
    # False when the person already had a ticket for the session and it was used.
    new_ticket: bool


def walk_in_answer(result: WalkIn) -> dict:
    """What the API answers (`WalkInResponseSchema`) and the check-in page shows."""
    return {
        **checkin_answer(result.check_in),
        "attendee": result.check_in.ticket.attendee_id,
        "new_ticket": result.new_ticket,
    }


def _own_ticket(session: Session, event_id: int, email: str, session_id: int) -> Ticket | None:
    """The ticket (not cancelled) of the event's attendee with `email` for the session."""
    return session.scalar(
        select(Ticket)
        .join(Attendee, Ticket.attendee_id == Attendee.id)
        .where(
            Attendee.event_id == event_id,
            Attendee.email == email,
            Attendee.erased_at.is_(None),
            Ticket.session_id == session_id,
            Ticket.status != CANCELLED,
        )
    )


def _seat_at_the_door(session: Session, ticket: Ticket, links: Links, now: datetime) -> None:
    """The person with `ticket` stands at the door: a waiting ticket takes a free seat
    (Conflict if there is none), a held one is confirmed; both confirmed at once."""
    if ticket.status == CONFIRMED:
        return
    programme_session = lock_session(session, ticket.session_id)
    session.refresh(ticket, with_for_update={"of": Ticket})
    _still_open(programme_session, now, "session")
    if ticket.status == WAITLISTED:
        if not claim_seat(session, ticket.session_id, ticket.id):
            raise Conflict(
                N_("The session is full: no seat is free."), {"session": [N_("No seat is free.")]}
            )
        verb = "promoted"
    elif ticket.status == HELD:
        verb = "confirmed"
    else:
        return
    ticket.status, ticket.hold_expires_at = CONFIRMED, None
    session.flush()
    publish_ticket(session, verb, ticket, links)


def walk_in(
    session: Session,
    event_slug: str,
    session_id: int,
    name: str,
    email: str,
    locale: str,
    checked_in_by: str | None,
    links: Links,
    settings: RegistrationSettings,
    now: datetime | None = None,
) -> WalkIn:
    """Someone at the door without a ticket: registered (`booking.register` at the door: until
    the session ends, confirmed at once, never waiting; Conflict "full" if no seat is free) and
    checked in at once (`checkin.check_in`, so the count and the answer are the door's). Someone
    who already has a ticket for the session: that ticket is seated (if it waits and a seat is
    free) and checked in. `email` is normalised; `checked_in_by` None: the organiser of the
    request. The caller's transaction is rolled back on any refusal, so nothing is stored."""
    now = now or utcnow()
    event_ = find_event(session, event_slug)
    programme_session = session.get(ProgrammeSession, session_id)
    if programme_session is None or programme_session.event_id != event_.id:
        raise NotFound(N_("There is no such session."), {"session": [UNKNOWN]})
    if not is_on(programme_session, now):
        raise DomainError(
            N_("Walk-ins are added on the day of the session."),
            {"session": [N_("The session is not today.")]},
        )
    ticket = _own_ticket(session, event_.id, email, session_id)
    new_ticket = ticket is None
    if ticket is None:
        try:
            result = register(
                session,
                event_slug,
                name=name,
                email=email,
                session_ids=[session_id],
                locale=locale,
                links=links,
                settings=settings,
                now=now,
                at_the_door=True,
            )
        except DomainError as error:
            # One session: its problem is the `session` field's.
            problems = error.errors.get("sessions", {})
            if isinstance(problems, dict) and str(session_id) in problems:
                error.errors = {"session": problems[str(session_id)]}
            raise
        code, new_ticket = result.tickets[0].ticket.code, result.tickets[0].created
    else:
        _seat_at_the_door(session, ticket, links, now)
        code = ticket.code
    checked = check_in(
        session, event_slug, code, links, session_id=session_id, by=checked_in_by, now=now
    )
    audit(session, event_slug, TICKET_WALK_IN, {**_ids(checked.ticket), "new_ticket": new_ticket})
    return WalkIn(checked, new_ticket)


def resend(
    session: Session,
    event_slug: str,
    attendee_id: int,
    what: str,
    links: Links,
    settings: RegistrationSettings | None = None,
) -> dict:
    """Mail the attendee again: `confirmation`, each booked ticket's current status message
    (confirmed, held or waiting; notify mails each new message, so the confirmation, hold or
    waiting-list mail goes again), or `manage_link`, the link to manage the booking (notify
    sends at most one such mail per address every few minutes). Conflict (naming `what`) if
    there is nothing to confirm. `settings` tells whether a waiting ticket's mail carries the
    link to confirm the address (a seat that frees up would wait for it)."""
    if what not in RESEND_WHAT:
        raise DomainError(N_("Choose what to send again."), {"what": [UNKNOWN]})
    attendee = _attendee_of_event(session, event_slug, attendee_id)
    resent: list[int] = []
    if what == RESEND_MANAGE_LINK:
        publish_link_requested(session, event_slug, attendee, links, by_organiser=True)
    else:
        tickets = session.scalars(
            select(Ticket)
            .where(Ticket.attendee_id == attendee.id, Ticket.status.in_(tuple(_STATUS_VERBS)))
            .order_by(Ticket.session_id)
        ).all()
        if not tickets:
            raise Conflict(
                N_("This person has no booked ticket to confirm."),
                {"what": [N_("Nothing is booked.")]},
            )
        for ticket in tickets:
            confirmation_needed = (
                ticket.status == WAITLISTED
                and settings is not None
                and needs_confirmation(attendee, attendee.event, settings)
            )
            publish_ticket(
                session,
                _STATUS_VERBS[ticket.status],
                ticket,
                links,
                confirmation_needed=confirmation_needed,
            )
            resent.append(ticket.id)
    audit(
        session,
        event_slug,
        ATTENDEE_MAIL_RESENT,
        {"attendee": attendee.id, "what": what, "tickets": resent},
    )
    return {"what": what, "tickets": resent}
