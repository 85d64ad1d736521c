"""Two organisations on one platform, for the tests of issue 12 (organisations and roles).

`World` runs the three services in process on their own PostgreSQL databases: the organisations
`bochum` (events `bochum-woche`, published with stages, tracks, speakers and sessions, and
`bochum-extra`) and `herne` (event `herne-woche`, with a session later today), a registration for
each, organiser accounts and tokens for the `PRINCIPALS`, and the schedule service's outbox handed
to registration's and notify's real handlers (what relay and consumer do, without the broker), so
those two learn each event's owner from `schedule.event.owner_changed`.

`declared_routes()` lists every organiser route of every service from its URL map
(`shared.permissions.route_permissions`), so a new route joins the role matrix by itself;
`expected_outcome` states the issue's rules independently of `shared.permissions`, and `outcome`
classifies an answer (anything it cannot name fails the matrix).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import select

from services.registration.models import Attendee, Ticket
from services.registration.models import Event as RegistrationEvent
from services.schedule import draft
from services.schedule.importer import import_programme, move_programme
from services.schedule.models import Event as ScheduleEvent
from services.schedule.models import ProgrammeSession, Speaker
from services.schedule.organisations import create_organisation, set_owner
from services.schedule.organisers import set_password
from services.schedule.programme_format import load_programme_document
from services.schedule.releases import publish_release
from services.schedule.schemas import DraftSessionSchema
from services.schedule.tokens import TOKEN_ID_LENGTH, issue_token
from shared import cli
from shared.auth import hash_token, new_token, store_token
from shared.config import Config
from shared.consumer import handle_once
from shared.db import utcnow
from shared.messages import parse_envelope
from shared.organisations import membership
from shared.pages.organisers import organiser_session
from shared.permissions import PUBLIC, ROLE_PERMISSIONS, Principal, route_permissions
from shared.service import load_service
from tests.support.backbone import message_routes
from tests.support.schedule import MAIN_STAGE, make_document

SERVICES = ("schedule", "registration", "notify")
ORG_A, ORG_B = "bochum", "herne"
EVENT_A, OTHER_A, EVENT_B = "bochum-woche", "bochum-extra", "herne-woche"
# A slug no event has: what every answer about another organisation's event must look like.
MISSING = "keine-woche"
FLASHED = re.compile(r'<p class="notice notice--\w+" role="status">.*?</p>\s*', re.S)
PASSWORD = "correct horse battery"
TRACK = "demografie"
HTML = {"Accept": "text/html", "Accept-Language": "en"}
JSON = {"Accept": "application/json", "Accept-Language": "en"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# A Flask rule's variable: `<event>`, `<int:session_id>`.
VARIABLE = re.compile(r"<(?:[^:<>]+:)?(\w+)>")

# Who calls, by the name a failing test shows.
PRINCIPALS: dict[str, Principal] = {
    "admin": Principal("ops"),
    "owner": Principal("owner-a", ORG_A, "owner"),
    "programme": Principal("programme-a", ORG_A, "programme"),
    "registrations": Principal("registrations-a", ORG_A, "registrations"),
    "door": Principal("door-a", ORG_A, "door"),
    "viewer": Principal("viewer-a", ORG_A, "viewer"),
    "owner-of-b": Principal("owner-b", ORG_B, "owner"),
    "programme-limited": Principal("limited-a", ORG_A, "programme", (OTHER_A,)),
}

# What an answer shows, from the caller's side.
SERVED = "served"  # the view ran: 2xx, a redirect other than to the login, 400/409/422 on input
FORBIDDEN = "forbidden (403)"
NO_SUCH_EVENT = "no such event (404, as for a missing event)"
UNAUTHORISED = "unauthorised (401)"
LOGIN = "sent to the login"


@dataclass(frozen=True)
class Route:
    service: str
    endpoint: str
    method: str
    rule: str
    permission: str

    @property
    def page(self) -> bool:
        return not self.rule.startswith("/api/")

    @property
    def variables(self) -> list[str]:
        return VARIABLE.findall(self.rule)

    def __str__(self) -> str:
        return f"{self.service}:{self.method} {self.rule}"

    def path(self, values: dict[str, object]) -> str:
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise LookupError(
                f"{self}: no value for {', '.join(missing)}; teach "
                "tests/support/organisations.py World.path_values to fill it from the data"
            )
        return VARIABLE.sub(lambda match: str(values[match.group(1)]), self.rule)


def declared_routes() -> list[Route]:
    """Every (endpoint, method) of the three services that declares a permission, not @public,
    read from apps built on a throwaway configuration (no database is opened)."""
    routes = []
    with tempfile.TemporaryDirectory() as var:
        config = Config.from_env({"TODO_VAR_DIR": var, "TODO_TESTING": "1"})
        for service in SERVICES:
            app = load_service(service).create_app(config)
            declared = route_permissions(app)
            for rule in app.url_map.iter_rules():
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    permission = declared[(rule.endpoint, method)]
                    if permission != PUBLIC:
                        routes.append(Route(service, rule.endpoint, method, rule.rule, permission))
            app.extensions["todo_db"].dispose()
    return sorted(routes, key=str)


def expected_outcome(
    principal: Principal,
    permission: str,
    event: str | None,
    owner: str | None,
    organisation: str | None = None,
):
    """The issue's rules, stated apart from `shared.permissions`: an administrator may do
    everything; a member sees its organisation's events (only those it is limited to, if any)
    and its own organisation's pages, and does there what its role grants; only a member of the
    whole organisation creates events and manages members and tokens, while what concerns no
    event is otherwise up to the role."""
    if principal.organisation is None:
        return SERVED
    if organisation is not None and organisation != principal.organisation:
        return NO_SUCH_EVENT
    granted = permission in ROLE_PERMISSIONS[principal.role]
    if event is None:
        limited = bool(principal.events) and permission in ("events.create", "members.manage")
        return SERVED if granted and not limited else FORBIDDEN
    if owner != principal.organisation or (principal.events and event not in principal.events):
        return NO_SUCH_EVENT
    return SERVED if granted else FORBIDDEN


def normalised(response, event: str) -> tuple:
    """An answer as the caller sees it, with the event's slug, the form token and any message
    flashed by an earlier request of the same browser set aside."""
    text = FLASHED.sub("", response.get_data(as_text=True).replace(event, "EVENT"))
    text = re.sub(r"\n\s*", "\n", text)
    return response.status_code, response.mimetype, CSRF.sub("csrf", text)


def outcome(response, missing, event: str) -> str:
    """Which of the outcomes `response` is; `missing` is the same request's answer for the
    event MISSING. Raises AssertionError for anything else (a 500, a refused form token, a 404
    of something else, ...)."""
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 401:
        return UNAUTHORISED
    if status in (302, 303) and "/login?" in location:
        return LOGIN
    if status == 403:
        return FORBIDDEN
    if (
        status == 404
        and missing is not None
        and (normalised(response, event) == normalised(missing, MISSING))
    ):
        return NO_SUCH_EVENT
    text = response.get_data(as_text=True)
    if status == 400 and "The form has expired" in text:
        raise AssertionError(f"the form token was refused: {text[:300]}")
    if 200 <= status < 400 or status in (400, 409, 422):
        return SERVED
    if status == 404 and missing is not None:
        # Say how it differs from the answer about no event.
        text = "\n".join(
            difflib.unified_diff(
                normalised(missing, MISSING)[2].splitlines(),
                normalised(response, event)[2].splitlines(),
                lineterm="",
            )
        )
    raise AssertionError(f"unclassifiable answer {status} {location}: {text[:2000]}")


def summary(response) -> str:
    """What an answer says, in a line: a JSON message, a page's title and first paragraph."""
    if response.is_json:
        return str(response.json)[:300]
    text = response.get_data(as_text=True)
    found = re.search(r"<h1[^>]*>(.*?)</h1>\s*(?:<p[^>]*>(.*?)</p>)?", text, re.S)
    return " / ".join(part for part in found.groups() if part) if found else text[:300]


def today_zone(now: datetime, hours: int = 3) -> str:
    """A time zone in which the next `hours` hours from `now` fall on one day, so a session
    starting soon is both open for registration and checked in today."""
    for name in ("Europe/Berlin", "America/New_York", "Asia/Tokyo"):
        zone = ZoneInfo(name)
        if now.astimezone(zone).date() == (now + timedelta(hours=hours)).astimezone(zone).date():
            return name
    # Cannot happen: Berlin and New York lie six hours apart.
    raise AssertionError("no time zone found")


def programme_a(slug: str) -> dict:
    """tests.support.schedule's programme (two stages, two tracks, four sessions, a speaker),
    moved to a month from now."""
    document = load_programme_document(copy.deepcopy(make_document(slug=slug)))
    return move_programme(document, date.today() + timedelta(days=30))


def programme_b(now: datetime) -> dict:
    """One stage and one session starting within the hour, in a zone where it is still today."""
    zone = ZoneInfo(today_zone(now))
    starts = (now + timedelta(minutes=45)).astimezone(zone).replace(second=0, microsecond=0)
    document = {
        "format": "todo-programme/1",
        "event": {
            "slug": EVENT_B,
            "title": "Herner Woche",
            "timezone": zone.key,
            "starts_on": starts.date().isoformat(),
            "ends_on": starts.date().isoformat(),
            "address": "Rathausplatz 1, 44623 Herne",
        },
        "stages": [{"guid": "herne-stage", "name": "Kulturzentrum", "capacity": 30}],
        "tracks": [{"slug": "arbeit", "name": "Arbeit", "color": "#2e86ab"}],
        "sessions": [
            {
                "guid": "herne-opening",
                "title": "Eröffnung in Herne",
                "stage": "herne-stage",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(minutes=50)).isoformat(),
                "tracks": ["arbeit"],
                "speakers": [{"name": "Erika Muster", "organisation": "Stadt Herne"}],
                "registration": {"mode": "required"},
            }
        ],
    }
    return load_programme_document(document)


class World:
    """The three services with both organisations' events; see the module's docstring."""

    def __init__(self, make_database, base_config: Config):
        self.dbs = {service: make_database(service) for service in SERVICES}
        self.config = base_config.with_overrides(
            database_urls={service: db.url for service, db in self.dbs.items()}
        )
        self.specs = {service: load_service(service) for service in SERVICES}
        self.apps = {service: spec.create_app(self.config) for service, spec in self.specs.items()}
        self.tokens: dict[str, str] = {}
        self._clients: dict[tuple[str, str], object] = {}
        self._csrf: dict[tuple[str, str], str] = {}
        self._counter = itertools.count(1)
        self.now = utcnow()
        self._populate()

    def close(self) -> None:
        for app in self.apps.values():
            app.extensions["todo_db"].dispose()

    # -- the data ------------------------------------------------------------------------------

    def _populate(self) -> None:
        with self.dbs["schedule"].transaction() as session:
            create_organisation(session, ORG_A, "Bochum – Arbeit der Zukunft")
            create_organisation(session, ORG_B, "Herne – Arbeit der Zukunft")
            for document, owner in (
                (programme_a(EVENT_A), ORG_A),
                (programme_a(OTHER_A), ORG_A),
                (programme_b(self.now), ORG_B),
            ):
                event = import_programme(session, document).event
                set_owner(session, event, owner)
                publish_release(session, event, "erste Fassung")
            for principal in PRINCIPALS.values():
                member = membership(principal.organisation, principal.role, principal.events)
                set_password(session, principal.name, PASSWORD, member)
        for key, principal in PRINCIPALS.items():
            self.tokens[key] = self.store_token(principal)
        self.deliver()
        self.values = {"schedule": self._schedule_values(), "registration": {}}
        self.values["registration"]["session_id"] = self.values["schedule"]["session_id"]
        for event in (EVENT_A, EVENT_B):
            answer = self.register(event, self.session_id(event))
            assert answer.status_code == 201, answer.get_data(as_text=True)
        # The attendee admin's routes act on EVENT_A's registration (issue 13).
        self.values["registration"].update(self._registration_values(EVENT_A))

    def _registration_values(self, event: str) -> dict[str, int]:
        """The attendee and ticket of the registration for `event`."""
        with self.dbs["registration"].transaction() as session:
            ticket = session.scalars(
                select(Ticket)
                .join(Attendee, Ticket.attendee_id == Attendee.id)
                .join(RegistrationEvent, Attendee.event_id == RegistrationEvent.id)
                .where(RegistrationEvent.slug == event)
            ).first()
            return {"attendee_id": ticket.attendee_id, "ticket_id": ticket.id}

    def store_token(self, principal: Principal) -> str:
        """A new token of `principal`'s membership, in every service (as `todo create-token`)."""
        token = new_token()
        member = membership(principal.organisation, principal.role, principal.events)
        for service, db in self.dbs.items():
            with db.transaction() as session:
                store_token(
                    session, self.specs[service].tokens, principal.name, token, member=member
                )
        return token

    def session_id(self, event: str) -> int:
        """The id of `event`'s first session with registration."""
        with self.dbs["schedule"].transaction() as session:
            query = (
                select(ProgrammeSession.id)
                .join(ScheduleEvent, ProgrammeSession.event_id == ScheduleEvent.id)
                .where(
                    ScheduleEvent.slug == event, ProgrammeSession.registration_mode == "required"
                )
                .order_by(ProgrammeSession.starts_at)
            )
            return session.scalars(query).first()

    def _schedule_values(self) -> dict[str, object]:
        with self.dbs["schedule"].transaction() as session:
            event = draft.find_event(session, EVENT_A)
            speaker = session.scalars(
                select(Speaker.id).where(Speaker.event_id == event.id)
            ).first()
        return {
            "session_id": self.session_id(EVENT_A),
            "guid": MAIN_STAGE,
            "slug": TRACK,
            "speaker_id": speaker,
        }

    def register(self, event: str, session_id: int):
        """A registration through registration's public API, as an attendee makes it."""
        client = self.apps["registration"].test_client()
        body = {
            "name": f"Gast {event}",
            "email": f"gast@{event}.example",
            "sessions": [session_id],
            "locale": "de",
            "consent": True,
        }
        return client.post(f"/api/v1/events/{event}/registrations", json=body)

    def ticket_code(self, event: str) -> str:
        """The check-in code of the registration for `event`."""
        with self.dbs["registration"].transaction() as session:
            return session.scalar(
                select(Ticket.code)
                .join(Attendee, Ticket.attendee_id == Attendee.id)
                .join(RegistrationEvent, Attendee.event_id == RegistrationEvent.id)
                .where(RegistrationEvent.slug == event)
            )

    def fresh_token_id(self) -> str:
        """A new API token of ORG_A, made on its page, for each caller to revoke its own."""
        with self.dbs["schedule"].transaction() as session:
            token = issue_token(session, f"Bot {next(self._counter)}", membership(ORG_A, "viewer"))
        return hash_token(token)[:TOKEN_ID_LENGTH]

    def fresh(self, name: str) -> object:
        """A new draft object of EVENT_A for a DELETE, so that each caller deletes its own."""
        n = next(self._counter)
        with self.dbs["schedule"].transaction() as session:
            event = draft.find_event(session, EVENT_A)
            if name == "speaker_id":
                return draft.create_speaker(session, event, {"name": f"Gast {n}"}).id
            if name == "slug":
                return draft.create_track(session, event, {"slug": f"t-{n}", "name": "T"}).slug
            if name not in ("guid", "session_id"):
                raise LookupError(f"no new {name} to make")
            stage = draft.create_stage(session, event, {"name": f"Bühne {n}"})
            if name == "guid":
                return stage.guid
            # A session of its own on a stage of its own, so it overlaps nothing.
            starts = datetime.combine(event.starts_on, datetime.min.time(), UTC)
            values = DraftSessionSchema().load(
                {
                    "title": f"Zum Löschen {n}",
                    "stage": stage.guid,
                    "starts_at": (starts + timedelta(hours=9)).isoformat(),
                    "ends_at": (starts + timedelta(hours=10)).isoformat(),
                }
            )
            return draft.create_session(session, event, values).id

    def path_values(self, route: Route) -> dict[str, object]:
        """What fills `route`'s variables: EVENT_A and its data; for a DELETE a new object."""
        values: dict[str, object] = {"event": EVENT_A, "organisation": ORG_A}
        known = self.values.get(route.service, {})
        for name in route.variables:
            if name == "event":
                continue
            if name == "token_id":
                values[name] = self.fresh_token_id()
            elif route.method == "DELETE" and route.service == "schedule" and name in known:
                values[name] = self.fresh(name)
            elif name in known:
                values[name] = known[name]
        return values

    # -- messages ------------------------------------------------------------------------------

    def handlers(self, service: str) -> dict[str, list]:
        return message_routes(service, self.config)

    def deliver(self, source: str = "schedule") -> list[str]:
        """Hand every unpublished outbox message of `source` to the other services' real
        handlers and mark it published, as relay and consumer do; their types."""
        outbox = self.specs[source].outbox
        with self.dbs[source].transaction() as session:
            rows = session.scalars(
                select(outbox).where(outbox.published_at.is_(None)).order_by(outbox.id)
            ).all()
            bodies = [row.body for row in rows]
            for row in rows:
                row.published_at = utcnow()
        types = []
        for body in bodies:
            envelope = parse_envelope(body.encode())
            types.append(envelope.type)
            for service in SERVICES:
                if service == source:
                    continue
                for queue, handler in self.handlers(service).get(envelope.type, []):
                    handle_once(
                        self.dbs[service], self.specs[service].processed, queue, envelope, handler
                    )
        return types

    # -- callers -------------------------------------------------------------------------------

    def bearer(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[key]}"}

    def browser(self, service: str, key: str):
        """A test client of `service` signed in as PRINCIPALS[key] (its session cookie)."""
        if (service, key) not in self._clients:
            client = self.apps[service].test_client()
            with client.session_transaction() as cookie:
                cookie.update(organiser_session(PRINCIPALS[key]))
            self._clients[(service, key)] = client
        return self._clients[(service, key)]

    def csrf(self, service: str, key: str) -> str:
        """The form token of that browser's session (from the logout form in every footer)."""
        if (service, key) not in self._csrf:
            page = self.browser(service, key).get("/privacy", headers=HTML)
            self._csrf[(service, key)] = CSRF.search(page.get_data(as_text=True))[1]
        return self._csrf[(service, key)]

    def send(self, service: str, method: str, path: str, key: str, body: dict | None = None):
        """`method path` on `service` as PRINCIPALS[key]: a page with the session cookie (a
        form with its token), an API operation with the Bearer token (JSON, `{}` if no body)."""
        if not path.startswith("/api/"):
            client = self.browser(service, key)
            data = None
            if method != "GET":
                data = {"csrf_token": self.csrf(service, key), **(body or {})}
            return client.open(path, method=method, data=data, headers=HTML)
        client = self.apps[service].test_client()
        headers = JSON | self.bearer(key)
        if method in ("GET", "DELETE"):
            return client.open(path, method=method, headers=headers)
        return client.open(path, method=method, json=body or {}, headers=headers)

    def answer_and_outcome(
        self, service: str, method: str, path: str, key: str, event: str, body=None
    ) -> tuple[object, str]:
        """The answer to the request and its `outcome`; a 404 is compared with the same
        request about the event MISSING."""
        answer = self.send(service, method, path, key, body)
        segments = path.split("/")
        missing = None
        if answer.status_code == 404 and event in segments:
            segments[segments.index(event)] = MISSING
            missing = self.send(service, method, "/".join(segments), key, body)
        return answer, outcome(answer, missing, event)

    # -- reading it all back -------------------------------------------------------------------

    def snapshot(self) -> dict[str, dict[str, list]]:
        """Every row of every table of the three databases."""
        rows = {}
        for service, db in self.dbs.items():
            tables = self.specs[service].base.metadata.sorted_tables
            with db.transaction() as session:
                rows[service] = {
                    table.name: sorted(
                        (tuple(row) for row in session.execute(select(table))), key=repr
                    )
                    for table in tables
                }
        return rows

    def run_todo(self, *args: str, input: str | None = None, ok: bool = True):
        """`todo ARGS` on the three databases, as an operator runs it."""
        env = {f"{s.upper()}_DATABASE_URL": db.url for s, db in self.dbs.items()}
        env["TODO_VAR_DIR"] = str(self.config.var_dir)
        result = CliRunner().invoke(cli.main, list(args), input=input, env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result
