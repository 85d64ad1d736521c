"""Who listens to what on the `todo.events` exchange.

One durable queue per consuming service and purpose, named `<service>.<purpose>`, bound to the
routing keys it handles. Relays declare these too, so a message published before its consumer
first started waits in its queue instead of being returned as unroutable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    name: str
    routing_keys: tuple[str, ...]

    @property
    def retry_queue(self) -> str:
        return f"{self.name}.retry"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dead"


# What every service keeps a copy of to check organisers by itself (shared.service).
ORGANISER_ACCESS = (
    "schedule.organiser.sessions_revoked",
    "schedule.event.owner_changed",
    "schedule.token.issued",
    "schedule.token.revoked",
)

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("registration.programme", ("schedule.release.published",)),
    QueueSpec("notify.programme", ("schedule.release.published", "schedule.live.updated")),
    QueueSpec(
        "notify.tickets",
        (
            "registration.ticket.confirmed",
            "registration.ticket.held",
            "registration.ticket.waitlisted",
            "registration.ticket.promoted",
            "registration.ticket.cancelled",
            "registration.ticket.checked_in",
            "registration.attendee.updated",
            "registration.attendee.link_requested",
            "registration.attendee.erased",
            "registration.event.purged",
        ),
    ),
    # Their own queues, so an ended session or a new owner is not kept waiting behind a backlog
    # of tickets.
    QueueSpec("registration.organisers", ORGANISER_ACCESS),
    QueueSpec("notify.organisers", ORGANISER_ACCESS),
    # Mails to organisers (a link to set the password), apart from the attendees' backlog.
    QueueSpec("notify.accounts", ("schedule.organiser.password_link",)),
    # Registration's audit entries, for the one audit log the schedule service shows.
    QueueSpec("schedule.audit", ("registration.audit.recorded",)),
)


def queue(name: str) -> QueueSpec:
    for spec in QUEUES:
        if spec.name == name:
            return spec
    raise KeyError(name)
