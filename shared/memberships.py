"""The membership options of `todo create-token` and `todo create-organiser` (issue 12):
`--organisation SLUG --role ROLE [--event EVENT]...`, checked against the organisations."""

from __future__ import annotations

import click

from shared.config import Config
from shared.db import Database
from shared.organisations import membership
from shared.permissions import ROLES


def membership_options(command):
    """`--organisation SLUG --role ROLE [--event EVENT]...` of create-token and create-organiser."""
    for option in reversed(
        (
            click.option(
                "--organisation",
                metavar="SLUG",
                help="a member of this organisation (todo create-organisation); "
                "without it a platform administrator",
            ),
            click.option("--role", type=click.Choice(ROLES), help="the member's role"),
            click.option(
                "--event",
                "events",
                metavar="EVENT",
                multiple=True,
                help="only on this event of the organisation (repeat for several); "
                "default: all its events",
            ),
        )
    ):
        command = option(command)
    return command


def checked_membership(
    config: Config, organisation: str | None, role: str | None, events: tuple[str, ...]
) -> dict:
    """The membership the options give, checked against the organisations and their events
    (kept by the schedule service); a usage error says what is wrong."""
    from shared.errors import DomainError
    from shared.service import all_services

    try:
        member = membership(organisation, role, events)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if organisation is None:
        return member
    for spec in all_services():
        if spec.membership_check is None:
            continue
        db = Database(config.database_url(spec.name), pool_size=1)
        try:
            with db.transaction() as session:
                spec.check_membership(session, organisation, member["events"])
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        finally:
            db.dispose()
    return member


def describe_membership(member: dict) -> str:
    if member["organisation"] is None:
        return "a platform administrator"
    where = ", ".join(member["events"]) or "all its events"
    return f"{member['role']} of {member['organisation']!r} ({where})"
