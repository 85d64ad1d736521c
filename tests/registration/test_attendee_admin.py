"""Attendee admin (issue 13): search by name, email or code; cancel on someone's behalf, promote by
hand, walk-ins at the door, resending mails; through the domain, the API and the pages, with the
roles that may and may not."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from services.notify.models import OutgoingMail
from services.registration import attendee_admin
from services.registration.manage import erase
from services.registration.models import Attendee, AuditEntry, OutboxMessage, Seat, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, WAITLISTED
from services.registration.seats import seat_counts
from shared.db import utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from shared.ticket_codes import printed
from tests.support.audit import world_in
from tests.support.organisations import EVENT_A, HTML
from tests.support.registration import EVENT, session_info, ticket_of

API = f"/api/v1/events/{EVENT}"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ADMIN = Principal("ops")


def outbox(db, routing_key: str) -> list[dict]:
    with db.transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.routing_key == routing_key)
            .order_by(OutboxMessage.id)
        ).all()
    return [json.loads(body)["data"] for body in bodies]


def audit_actions(db) -> list[tuple[str, dict]]:
    with db.transaction() as session:
        return [(e.action, e.details) for e in session.scalars(select(AuditEntry))]


def attendee_id(db, email: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(Attendee.id).where(Attendee.email == email))


def names(result) -> list[str]:
    return [item["name"] for item in result.items]


def seats_of(db, session_id: int) -> tuple[int, int]:
    with db.transaction() as session:
        return seat_counts(session, session_id)


# -- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_search_by_name_email_and_code_in_any_case(
    backend, make_database, publish_release, register_one
):
    db = make_database("registration", backend)
    publish_release(db, 1, [session_info(1), session_info(2), session_info(3)])
    register_one(db, "juergen@example.org", [1], name="Jürgen Ärmel")
    register_one(db, "anna@example.org", [1, 2], name="Anna")
    register_one(db, "percent@example.org", [2], name="100% Maier_Schmidt")
    # A ticket booked under another name by the same address.
    register_one(db, "anna@example.org", [3], name="Ännchen")
    code = ticket_of(db, "anna@example.org", 2).code

    def search(query: str, page: int = 1, page_size: int = 10):
        with db.transaction() as session:
            return attendee_admin.search_attendees(session, EVENT, query, page, page_size)

    assert names(search("jürgen")) == names(search("JÜRGEN")) == ["Jürgen Ärmel"]
    assert names(search("ärmel")) == ["Jürgen Ärmel"]
    assert names(search("ÄNNCHEN")) == ["Anna"]
    assert names(search("ANNA@EXAMPLE")) == ["Anna"]
    # Wildcards of LIKE are plain characters.
    assert names(search("%")) == ["100% Maier_Schmidt"]
    assert names(search("r_s")) == ["100% Maier_Schmidt"]
    assert names(search("_")) == ["100% Maier_Schmidt"]
    # A code as printed, typed in lower case, with or without its dashes, or a part of it.
    assert names(search(printed(code).lower())) == ["Anna"]
    assert names(search(code.lower())) == ["Anna"]
    assert names(search(code[2:8].lower())) == ["Anna"]
    # Empty: everyone, newest first, a page at a time.
    everyone = search("")
    assert names(everyone) == ["100% Maier_Schmidt", "Anna", "Jürgen Ärmel"]
    assert everyone.total == 3
    second = search("", page=2, page_size=2)
    assert (names(second), second.total) == (["Jürgen Ärmel"], 3)
    anna = search("anna").items[0]
    assert [(t["session"], t["status"]) for t in anna["tickets"]] == [
        (1, CONFIRMED),
        (2, CONFIRMED),
        (3, CONFIRMED),
    ]
    assert search("nobody").total == 0


def test_search_leaves_out_erased_attendees_and_shows_waiting_places(
    registration_db, publish_release, register_one, links, settings
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    register_one(registration_db, "a@example.org", [1], name="Anna")
    register_one(registration_db, "b@example.org", [1], name="Ben")
    register_one(registration_db, "c@example.org", [1], name="Cem")
    ben = attendee_id(registration_db, "b@example.org")
    with registration_db.transaction() as session:
        found = attendee_admin.search_attendees(session, EVENT, "", 1, 10)
        places = {i["name"]: i["tickets"][0]["waitlist_position"] for i in found.items}
        assert places == {"Anna": None, "Ben": 1, "Cem": 2}
        erase(session, session.get(Attendee, ben), links, settings)
    with registration_db.transaction() as session:
        found = attendee_admin.search_attendees(session, EVENT, "erased", 1, 10)
        assert found.total == 0
        found = attendee_admin.search_attendees(session, EVENT, "", 1, 10)
        assert [i["name"] for i in found.items] == ["Cem", "Anna"]
        assert found.items[0]["tickets"][0]["waitlist_position"] == 1
        with pytest.raises(NotFound) as refused:
            attendee_admin.attendee_record(session, EVENT, ben)
        assert "attendee" in refused.value.errors


# -- cancel and promote --------------------------------------------------------------------------


@pytest.fixture
def full(registration_db, publish_release, register_one):
    """Session 1 with one seat: Anna seated, Ben and Cem waiting (in that order)."""
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    for email, name in (
        ("a@example.org", "Anna"),
        ("b@example.org", "Ben"),
        ("c@example.org", "Cem"),
    ):
        register_one(registration_db, email, [1], name=name)
    return registration_db


def test_cancel_on_behalf_gives_the_seat_to_the_first_waiting_and_tells_both(full, links, settings):
    anna = ticket_of(full, "a@example.org", 1)
    with full.transaction() as session:
        answer = attendee_admin.cancel_on_behalf(session, EVENT, anna.id, links, settings)
    assert answer["status"] == CANCELLED and answer["cancel_reason"] == "organiser"
    assert ticket_of(full, "b@example.org", 1).status == CONFIRMED
    assert ticket_of(full, "c@example.org", 1).status == WAITLISTED
    cancelled = outbox(full, "registration.ticket.cancelled")
    assert [(m["ticket"]["id"], m["reason"]) for m in cancelled] == [(anna.id, "organiser")]
    promoted = outbox(full, "registration.ticket.promoted")
    assert [m["attendee"]["email"] for m in promoted] == ["b@example.org"]
    assert (
        "ticket.cancelled_by_organiser",
        {"ticket": anna.id, "session": 1, "attendee": anna.attendee_id},
    ) in audit_actions(full)
    assert seats_of(full, 1) == (1, 1)
    with full.transaction() as session, pytest.raises(Conflict):
        attendee_admin.cancel_on_behalf(session, EVENT, anna.id, links, settings)


def test_promote_by_hand_needs_confirmation_when_full_and_adds_one_seat(full, links, settings):
    cem = ticket_of(full, "c@example.org", 1)
    with full.transaction() as session, pytest.raises(Conflict) as refused:
        attendee_admin.promote_by_hand(session, EVENT, cem.id, links, settings)
    assert "over_capacity" in refused.value.errors
    assert ticket_of(full, "c@example.org", 1).status == WAITLISTED
    with full.transaction() as session:
        answer = attendee_admin.promote_by_hand(
            session, EVENT, cem.id, links, settings, over_capacity=True
        )
    assert answer["status"] == CONFIRMED
    # Seats == seated: one row beyond the capacity, taken by Cem; Ben (first) still waits.
    assert seats_of(full, 1) == (2, 2)
    assert ticket_of(full, "b@example.org", 1).status == WAITLISTED
    assert [m["ticket"]["id"] for m in outbox(full, "registration.ticket.promoted")] == [cem.id]
    with full.transaction() as session, pytest.raises(Conflict):
        attendee_admin.promote_by_hand(session, EVENT, cem.id, links, settings)
    # Given up again, the extra seat row goes away and Ben keeps waiting.
    with full.transaction() as session:
        attendee_admin.cancel_on_behalf(session, EVENT, cem.id, links, settings)
    assert seats_of(full, 1) == (1, 1)
    assert ticket_of(full, "b@example.org", 1).status == WAITLISTED
    actions = [a for a, _ in audit_actions(full)]
    assert actions.count("ticket.promoted_by_hand") == 1


def test_promote_by_hand_takes_a_seat_kept_for_the_door_after_the_start(
    full, publish_release, links, settings
):
    now = utcnow()
    publish_release(full, 2, [session_info(1, capacity=1, starts_at=now - timedelta(minutes=10))])
    anna = ticket_of(full, "a@example.org", 1)
    with full.transaction() as session:
        attendee_admin.cancel_on_behalf(session, EVENT, anna.id, links, settings)
    # After the start the freed seat stays free for the door.
    assert seats_of(full, 1) == (1, 0)
    cem = ticket_of(full, "c@example.org", 1)
    with full.transaction() as session:
        assert (
            attendee_admin.promote_by_hand(session, EVENT, cem.id, links, settings)["status"]
            == CONFIRMED
        )
    assert seats_of(full, 1) == (1, 1)


def test_actions_on_tickets_of_another_event_are_not_found(full, links, settings):
    with full.transaction() as session, pytest.raises(NotFound) as refused:
        attendee_admin.cancel_on_behalf(session, EVENT, 2**31 - 1, links, settings)
    assert "ticket" in refused.value.errors


# -- walk-ins ------------------------------------------------------------------------------------


@pytest.fixture
def running(registration_db, publish_release, register_one):
    """Session 1 (two seats) started ten minutes ago: Anna seated; session 2 tomorrow."""
    now = utcnow()
    tomorrow = session_info(2, capacity=5, starts_at=now + timedelta(days=1))
    publish_release(
        registration_db,
        1,
        [session_info(1, capacity=2, starts_at=now + timedelta(hours=1)), tomorrow],
    )
    register_one(registration_db, "a@example.org", [1], name="Anna")
    publish_release(
        registration_db,
        2,
        [session_info(1, capacity=2, starts_at=now - timedelta(minutes=10)), tomorrow],
    )
    return registration_db


def walk(db, links, settings, email: str, name: str = "Gast", session_id: int = 1):
    with db.transaction() as session:
        return attendee_admin.walk_in(
            session, EVENT, session_id, name, email, "de", "door-1", links, settings
        )


def test_a_walk_in_after_the_start_is_seated_checked_in_and_counted(running, links, settings):
    result = walk(running, links, settings, "walk@example.org", "Walter")
    answer = attendee_admin.walk_in_answer(result)
    assert answer["new_ticket"] is True and answer["name"] == "Walter"
    assert answer["checked_in_by"] == "door-1"
    assert answer["count"] == {"checked_in": 1, "confirmed": 2}
    ticket = ticket_of(running, "walk@example.org", 1)
    assert ticket.status == CONFIRMED and ticket.checked_in_at is not None
    assert seats_of(running, 1) == (2, 2)
    assert [m["ticket"]["id"] for m in outbox(running, "registration.ticket.confirmed")][
        -1
    ] == ticket.id
    assert outbox(running, "registration.ticket.checked_in")[-1]["ticket"]["id"] == ticket.id
    assert (
        "ticket.walk_in",
        {"ticket": ticket.id, "session": 1, "attendee": ticket.attendee_id, "new_ticket": True},
    ) in audit_actions(running)

    # Full now: refused, and nothing stored.
    with running.transaction() as session:
        attendees_before = session.scalar(select(func.count()).select_from(Attendee))
    with pytest.raises(Conflict) as refused:
        walk(running, links, settings, "late@example.org")
    assert "session" in refused.value.errors
    with running.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Attendee)) == attendees_before
    assert seats_of(running, 1) == (2, 2)


def test_a_walk_in_with_a_ticket_uses_it_and_one_for_another_day_is_refused(
    running, links, settings
):
    anna = walk(running, links, settings, "a@example.org", "Someone else")
    assert anna.new_ticket is False and anna.check_in.ticket.name == "Anna"
    with pytest.raises(Conflict):
        walk(running, links, settings, "a@example.org")
    with pytest.raises(DomainError) as refused:
        walk(running, links, settings, "b@example.org", session_id=2)
    assert "session" in refused.value.errors


def test_a_waiting_walk_in_takes_a_free_seat_at_the_door(full, publish_release, links, settings):
    now = utcnow()
    publish_release(full, 2, [session_info(1, capacity=1, starts_at=now - timedelta(minutes=10))])
    with full.transaction() as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_of(full, "a@example.org", 1).id)
            .values(status=CANCELLED)
        )
        session.execute(update(Seat).values(ticket_id=None))
    cem = walk(full, links, settings, "c@example.org")
    assert cem.new_ticket is False
    assert ticket_of(full, "c@example.org", 1).status == CONFIRMED
    with pytest.raises(Conflict):
        walk(full, links, settings, "b@example.org")


# -- resend --------------------------------------------------------------------------------------


def test_resend_publishes_each_booked_tickets_status_again_or_the_manage_link(
    full, links, settings
):
    cem = attendee_id(full, "c@example.org")
    before = len(outbox(full, "registration.ticket.waitlisted"))
    with full.transaction() as session:
        answer = attendee_admin.resend(session, EVENT, cem, "confirmation", links, settings)
    assert answer["tickets"] == [ticket_of(full, "c@example.org", 1).id]
    again = outbox(full, "registration.ticket.waitlisted")
    assert len(again) == before + 1 and again[-1]["ticket"]["waitlist_position"] == 2
    with full.transaction() as session:
        attendee_admin.resend(session, EVENT, cem, "manage_link", links, settings)
    link = outbox(full, "registration.attendee.link_requested")[-1]
    assert link["attendee"]["id"] == cem and link["by_organiser"] is True
    assert (
        "attendee.mail_resent",
        {"attendee": cem, "what": "manage_link", "tickets": []},
    ) in audit_actions(full)
    anna = ticket_of(full, "a@example.org", 1)
    with full.transaction() as session:
        attendee_admin.cancel_on_behalf(session, EVENT, anna.id, links, settings)
    with full.transaction() as session, pytest.raises(Conflict) as refused:
        attendee_admin.resend(session, EVENT, anna.attendee_id, "confirmation", links, settings)
    assert "what" in refused.value.errors


# -- API -----------------------------------------------------------------------------------------


@pytest.fixture
def api(full, make_app, organiser_token):
    client = make_app(full).test_client()
    return client, {"Authorization": f"Bearer {organiser_token(full)}", "Accept-Language": "en"}


def test_the_api_searches_shows_and_acts(api, full):
    client, headers = api
    found = client.get(f"{API}/attendees", query_string={"q": "BEN"}, headers=headers)
    assert found.status_code == 200, found.json
    assert [i["name"] for i in found.json["items"]] == ["Ben"] and found.json["total"] == 1
    ben = found.json["items"][0]
    record = client.get(f"{API}/attendees/{ben['id']}", headers=headers)
    assert record.json["tickets"][0]["waitlist_position"] == 1
    assert record.json["tickets"][0]["session_full"] is True
    ticket = record.json["tickets"][0]["id"]
    full_answer = client.post(f"{API}/tickets/{ticket}/promote", json={}, headers=headers)
    assert full_answer.status_code == 409 and "over_capacity" in full_answer.json["errors"]
    promoted = client.post(
        f"{API}/tickets/{ticket}/promote", json={"over_capacity": True}, headers=headers
    )
    assert promoted.status_code == 200 and promoted.json["status"] == CONFIRMED
    assert seats_of(full, 1) == (2, 2)
    cancelled = client.post(f"{API}/tickets/{ticket}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json["cancel_reason"] == "organiser"
    assert client.post(f"{API}/tickets/{ticket}/cancel", headers=headers).status_code == 409
    resent = client.post(
        f"{API}/attendees/{ben['id']}/resend", json={"what": "manage_link"}, headers=headers
    )
    assert resent.status_code == 200


def test_the_api_refuses_hostile_input_naming_the_field(api):
    client, headers = api
    # A lone surrogate cannot come through a URL (decoded as U+FFFD); NUL is refused.
    odd = client.get(f"{API}/attendees?q=%ED%A0%80", headers=headers)
    assert odd.status_code == 200 and odd.json["total"] == 0
    assert client.get(f"{API}/attendees?q=a%00", headers=headers).status_code == 400
    long = client.get(f"{API}/attendees", query_string={"q": "x" * 201}, headers=headers)
    assert long.status_code == 422 and "q" in long.json["errors"]
    for path in (
        f"{API}/attendees/99999999999999999999",
        f"{API}/attendees/2147483647",
        f"{API}/attendees/0",
    ):
        assert client.get(path, headers=headers).status_code == 404, path
    assert client.post(f"{API}/tickets/99999999999/cancel", headers=headers).status_code == 404
    bad_page = client.get(f"{API}/attendees?page=99999999999", headers=headers)
    assert bad_page.status_code == 422 and "page" in bad_page.json["errors"]
    crlf = client.post(
        f"{API}/walk-ins",
        json={"session": 1, "name": "Eve\r\nBcc: x@example.org", "email": "e@example.org"},
        headers=headers,
    )
    assert crlf.status_code == 422 and "name" in crlf.json["errors"]
    surrogate = client.post(
        f"{API}/walk-ins",
        data='{"session": 1, "name": "\\ud800", "email": "e@example.org"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert surrogate.status_code == 422 and "name" in surrogate.json["errors"]
    huge = client.post(
        f"{API}/walk-ins",
        json={"session": 10**30, "name": "Eve", "email": "javascript:alert(1)"},
        headers=headers,
    )
    assert huge.status_code == 422 and {"session", "email"} <= set(huge.json["errors"])
    what = client.post(f"{API}/attendees/1/resend", json={"what": "all"}, headers=headers)
    assert what.status_code == 422 and "what" in what.json["errors"]
    promote = client.post(
        f"{API}/tickets/1/promote", json={"over_capacity": "maybe"}, headers=headers
    )
    assert promote.status_code == 422 and "over_capacity" in promote.json["errors"]


# -- pages ---------------------------------------------------------------------------------------


def signed_in(client, principal: Principal = ADMIN):
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(principal))
    page = client.get("/privacy", headers=HTML)
    return CSRF.search(page.text)[1]


def test_the_pages_search_show_and_act_with_a_flashed_message(full, make_app):
    client = make_app(full).test_client()
    token = signed_in(client)
    listed = client.get(f"/{EVENT}/organiser/attendees?q=cem", headers=HTML)
    assert listed.status_code == 200
    assert "Cem" in listed.text and "Anna" not in listed.text
    cem = attendee_id(full, "c@example.org")
    page = client.get(f"/{EVENT}/organiser/attendees/{cem}", headers=HTML)
    assert page.status_code == 200
    assert "over_capacity" in page.text and f"/{EVENT}/organiser/mails?attendee={cem}" in page.text
    ticket = ticket_of(full, "c@example.org", 1).id
    refused = client.post(
        f"/{EVENT}/organiser/tickets/{ticket}/promote",
        data={"csrf_token": token, "attendee": cem},
        headers=HTML,
    )
    assert refused.status_code == 303
    shown = client.get(refused.headers["Location"], headers=HTML)
    assert "The session is full" in shown.text
    promoted = client.post(
        f"/{EVENT}/organiser/tickets/{ticket}/promote",
        data={"csrf_token": token, "attendee": cem, "over_capacity": "yes"},
        headers=HTML,
    )
    assert promoted.status_code == 303
    assert "has a seat" in client.get(promoted.headers["Location"], headers=HTML).text
    cancelled = client.post(
        f"/{EVENT}/organiser/tickets/{ticket}/cancel",
        data={"csrf_token": token, "attendee": cem},
        headers=HTML,
    )
    assert cancelled.status_code == 303
    assert "is cancelled" in client.get(cancelled.headers["Location"], headers=HTML).text
    resent = client.post(
        f"/{EVENT}/organiser/attendees/{cem}/resend",
        data={"csrf_token": token, "what": "manage_link"},
        headers=HTML,
    )
    assert resent.status_code == 303
    assert client.get(f"/{EVENT}/organiser/attendees/99999", headers=HTML).status_code == 404
    long = client.get(f"/{EVENT}/organiser/attendees", query_string={"q": "x" * 300}, headers=HTML)
    assert long.status_code == 422 and 'class="error"' in long.text
    session_list = client.get(f"/{EVENT}/organiser/registrations/sessions/1", headers=HTML)
    assert f"/{EVENT}/organiser/attendees/{attendee_id(full, 'a@example.org')}" in session_list.text


def test_the_walk_in_form_on_the_check_in_page(running, make_app):
    client = make_app(running).test_client()
    token = signed_in(client)
    page = client.get(f"/{EVENT}/organiser/check-in", headers=HTML)
    assert "Walk-in (without a ticket)" in page.text
    empty = client.post(f"/{EVENT}/organiser/walk-ins", data={"csrf_token": token}, headers=HTML)
    assert empty.status_code == 422
    assert empty.text.count('class="error"') >= 3
    added = client.post(
        f"/{EVENT}/organiser/walk-ins",
        data={
            "csrf_token": token,
            "session": "1",
            "name": "Walter",
            "email": "w@example.org",
            "locale": "en",
        },
        headers=HTML,
    )
    assert added.status_code == 200, added.text
    assert "Walter" in added.text and "1 of 2" in added.text
    full_now = client.post(
        f"/{EVENT}/organiser/walk-ins",
        data={"csrf_token": token, "session": "1", "name": "Late", "email": "l@example.org"},
        headers=HTML,
    )
    assert full_now.status_code == 409 and "no seat is free" in full_now.text


# -- roles ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory, amqp_url):
    with world_in(tmp_path_factory.mktemp("attendee-admin"), amqp_url) as world:
        yield world


def test_roles_door_walks_in_but_does_not_cancel_viewer_reads_nothing_other_org_404(world):
    api = f"/api/v1/events/{EVENT_A}"
    pages = f"/{EVENT_A}/organiser"
    session_id = world.session_id(EVENT_A)
    with world.dbs["registration"].transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.session_id == session_id)).first()
        ticket_id, attendee = ticket.id, ticket.attendee_id
    walk_in = {"session": session_id, "name": "Gast", "email": "tuer@example.org"}
    # The door may add walk-ins (this session is not today: refused by the domain, not the role).
    door = world.send("registration", "POST", f"{api}/walk-ins", "door", walk_in)
    assert door.status_code == 422 and "session" in door.json["errors"]
    assert (
        world.send("registration", "POST", f"{api}/tickets/{ticket_id}/cancel", "door").status_code
        == 403
    )
    assert world.send("registration", "GET", f"{api}/attendees", "door").status_code == 403
    assert world.send("registration", "GET", f"{pages}/attendees", "door").status_code == 403
    for path in (f"{api}/attendees", f"{api}/attendees/{attendee}", f"{pages}/attendees"):
        assert world.send("registration", "GET", path, "viewer").status_code == 403, path
        assert world.send("registration", "GET", path, "owner-of-b").status_code == 404, path
    assert (
        world.send(
            "registration",
            "POST",
            f"{api}/attendees/{attendee}/resend",
            "owner-of-b",
            {"what": "confirmation"},
        ).status_code
        == 404
    )
    listed = world.send("registration", "GET", f"{api}/attendees", "registrations")
    assert listed.status_code == 200 and listed.json["total"] >= 1
    page = world.send("registration", "GET", f"{pages}/attendees/{attendee}", "registrations")
    assert page.status_code == 200 and "resend" in page.text
    # Without attendees.manage the buttons are not there: a member limited to reading does not
    # exist among the roles, so an owner sees them and the door cannot open the page at all.
    assert (
        world.send("registration", "GET", f"{pages}/attendees/{attendee}", "door").status_code
        == 403
    )


def test_a_resent_confirmation_is_mailed_again_by_notify(world):
    session_id = world.session_id(EVENT_A)
    world.deliver("registration")
    with world.dbs["registration"].transaction() as session:
        ticket = session.scalars(
            select(Ticket).where(Ticket.session_id == session_id, Ticket.status == CONFIRMED)
        ).first()
        attendee = ticket.attendee_id

    def mails() -> int:
        with world.dbs["notify"].transaction() as session:
            return session.scalar(
                select(func.count())
                .select_from(OutgoingMail)
                .where(
                    OutgoingMail.attendee_id == attendee, OutgoingMail.kind == "ticket_confirmed"
                )
            )

    before = mails()
    answer = world.send(
        "registration",
        "POST",
        f"/api/v1/events/{EVENT_A}/attendees/{attendee}/resend",
        "registrations",
        {"what": "confirmation"},
    )
    assert answer.status_code == 200, answer.json
    assert "registration.ticket.confirmed" in world.deliver("registration")
    assert mails() == before + 1
