"""`todo import-programme`, `todo publish`, `todo export-programme`, and loading the bundled
to:DO 2024 programme when the platform starts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from services.schedule.draft import find_event
from services.schedule.importer import import_programme, move_programme, read_programme_file
from services.schedule.organisations import (
    claim_event,
    create_organisation,
    find_organisation,
    owner,
    set_owner,
)
from services.schedule.programme_format import document_from_release
from services.schedule.releases import find_release, latest_release, publish_release
from shared.config import Config
from shared.db import Database
from shared.errors import DomainError, NothingChanged
from shared.i18n import N_, translations_for

BUNDLED_PROGRAMME = Path(__file__).parent / "data" / "todo2024.json"
BUNDLED_EVENT = "todo2024"
# The organisation of the bundled programme: the alliance behind to:DO.
BUNDLED_ORGANISATION = ("todo-dortmund", "to:DO – Dortmunds neue Arbeit")


def _database(config: Config) -> Database:
    return Database(config.database_url("schedule"), pool_size=1)


def _format_errors(errors: dict, prefix: str = "") -> list[str]:
    lines = []
    for field, problems in errors.items():
        path = f"{prefix}.{field}" if prefix else str(field)
        if isinstance(problems, dict):
            lines += _format_errors(problems, path)
        else:
            for problem in problems if isinstance(problems, list) else [problems]:
                lines.append(f"  {path}: {problem}")
    return lines


def _fail(error: DomainError) -> click.ClickException:
    return click.ClickException("\n".join([error.message, *_format_errors(error.errors)]))


@click.command("import-programme")
@click.argument("event")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--organisation",
    metavar="SLUG",
    default=None,
    help="the organisation that owns the event (todo create-organisation); "
    "without it a new event belongs to none, for platform administrators only",
)
@click.option(
    "--first-day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="move the programme so that it starts on this day (YYYY-MM-DD), same local times",
)
@click.pass_obj
def import_programme_command(
    config: Config, event: str, file: Path, organisation: str | None, first_day
) -> None:
    """Import FILE (our JSON, or a frab schedule.xml / schedule.json) into EVENT's draft.

    Sessions are matched by guid; those no longer in the file are cancelled. The event is
    created from the file if it does not exist. Publish with `todo publish EVENT`.
    `--first-day` tries out a past programme, e.g. the bundled one:
    `todo import-programme demo services/schedule/data/todo2024.json --first-day 2026-12-07`.
    """
    db = _database(config)
    try:
        document = read_programme_file(file.read_bytes(), file.name)
        if first_day is not None:
            document = move_programme(document, first_day.date())
        with db.transaction() as session:
            summary = import_programme(session, document, event)
            if organisation is not None:
                claim_event(session, summary.event, organisation)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        db.dispose()
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{event}: {summary.created} new, {summary.updated} updated, "
        f"{summary.cancelled} cancelled sessions in the draft; publish with `todo publish {event}`"
    )


@click.command("create-organisation")
@click.argument("slug")
@click.argument("name")
@click.pass_obj
def create_organisation_command(config: Config, slug: str, name: str) -> None:
    """Create the organisation SLUG (a city's team, e.g. `bochum`), called NAME. Its members
    (todo create-token / create-organiser --organisation SLUG) see only its events."""
    db = _database(config)
    try:
        with db.transaction() as session:
            create_organisation(session, slug, name)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        db.dispose()
    click.echo(
        f"Organisation {slug!r} created; give it events with "
        f"`todo import-programme EVENT FILE --organisation {slug}`"
    )


@click.command("publish")
@click.argument("event")
@click.option("--comment", default="", help="shown with the release's changelog")
@click.pass_obj
def publish_command(config: Config, event: str, comment: str) -> None:
    """Publish EVENT's draft as its next numbered release."""
    db = _database(config)
    try:
        with db.transaction() as session:
            release = publish_release(session, find_event(session, event), comment)
            changes = release.changes
    except NothingChanged as nothing:
        click.echo(nothing.message)
        return
    except DomainError as error:
        raise _fail(error) from error
    finally:
        db.dispose()
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["kind"]] = counts.get(change["kind"], 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "first release"
    click.echo(f"{event}: release {release.number} published ({summary})")


@click.command("export-programme")
@click.argument("event")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--release", "number", type=int, default=None, help="default: the latest")
@click.pass_obj
def export_programme_command(config: Config, event: str, file, number: int | None) -> None:
    """Write EVENT's published programme as our JSON format (to FILE or stdout)."""
    db = _database(config)
    try:
        with db.transaction() as session:
            found = find_event(session, event)
            release = (
                latest_release(session, found)
                if number is None
                else find_release(session, found, number)
            )
            if release is None:
                raise click.ClickException(f"{event}: no such release")
            document = document_from_release(release.data)
    except DomainError as error:
        raise _fail(error) from error
    finally:
        db.dispose()
    json.dump(document, file, ensure_ascii=False, indent=2)
    file.write("\n")


def _give_bundled_event_its_organisation(session, event) -> None:
    slug, name = BUNDLED_ORGANISATION
    if find_organisation(session, slug, missing_ok=True) is None:
        create_organisation(session, slug, name)
    if owner(session, event) is None:
        set_owner(session, event, slug)


def load_bundled_programme(config: Config) -> None:
    """Load the bundled to:DO 2024 programme and publish it, unless it is already there.

    An unchanged file is not imported again, so organisers' edits since survive a restart and
    no second release appears.
    """
    db = _database(config)
    document = read_programme_file(BUNDLED_PROGRAMME.read_bytes(), BUNDLED_PROGRAMME.name)
    try:
        with db.transaction() as session:
            summary = import_programme(session, document, BUNDLED_EVENT, skip_if_unchanged=True)
            _give_bundled_event_its_organisation(session, summary.event)
            if summary.skipped:
                click.echo(f"schedule: {BUNDLED_EVENT} programme is up to date")
                return
            try:
                # Shown with the release as it is stored: in the event's language.
                comment = N_("Programme from the bundled file.").translated(
                    translations_for(summary.event.locale)
                )
                release = publish_release(session, summary.event, comment)
            except NothingChanged:
                click.echo(f"schedule: {BUNDLED_EVENT} programme is up to date")
                return
    finally:
        db.dispose()
    click.echo(f"schedule: {BUNDLED_EVENT} release {release.number} published")
