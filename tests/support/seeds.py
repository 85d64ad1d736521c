"""Each service's database filled with the benchmarks' data (a generated programme published in
schedule, a programme with seats in registration, a programme and a ticket handled by notify),
for the fuzz targets and the database tests."""

from __future__ import annotations


def seed_schedule(db) -> None:
    from bench.schedule_reads import generated_programme
    from services.schedule.draft import find_event
    from services.schedule.importer import import_programme
    from services.schedule.programme_format import load_programme_document
    from services.schedule.releases import publish_release

    with db.transaction() as session:
        import_programme(session, load_programme_document(generated_programme(12)))
        publish_release(session, find_event(session, "bench"), "fuzz")


def seed_registration(db) -> None:
    from bench.registration_rush import load_programme

    load_programme(db, 40)


def deliver_to_notify(db, config, queue_name: str, type_name: str, data: dict) -> None:
    """Hand one message to notify's handler for it, as its consumer would."""
    from services.notify.handlers import HANDLERS, dependencies
    from services.notify.models import ProcessedMessage
    from services.notify.settings import NotifySettings
    from shared.consumer import bind_handlers, handle_once
    from shared.messages import build_envelope, parse_envelope

    handlers = bind_handlers(HANDLERS, dependencies(config, NotifySettings()))
    spec = next(s for s in handlers if s.name == queue_name)
    envelope = parse_envelope(build_envelope(type_name, data, None).to_json())
    handle_once(db, ProcessedMessage, spec.name, envelope, handlers[spec][type_name])


def seed_notify(db, config) -> None:
    from bench.notify_feed import programme
    from bench.notify_move import ticket

    deliver_to_notify(db, config, "notify.programme", "schedule.release.published", programme(6))
    deliver_to_notify(db, config, "notify.tickets", "registration.ticket.confirmed", ticket(1))
