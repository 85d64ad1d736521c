"""`todo create-organiser NAME` and `todo remove-organiser NAME`: accounts for the web pages."""

from __future__ import annotations

import sys

import click

from services.schedule.organisers import remove_organiser, set_password
from shared.config import Config
from shared.db import Database
from shared.memberships import checked_membership, describe_membership, membership_options
from shared.pages.organisers import MIN_PASSWORD_LENGTH

name_argument = click.argument("name")


def _account_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise click.BadParameter("give a name of 1 to 100 characters", param_hint="NAME")
    return name


@click.command("create-organiser")
@name_argument
@membership_options
@click.option(
    "--password-stdin", is_flag=True, help="read the password from standard input (scripts)"
)
@click.pass_obj
def create_organiser_command(
    config: Config,
    name: str,
    organisation: str | None,
    role: str | None,
    events: tuple[str, ...],
    password_stdin: bool,
) -> None:
    """Create an organiser account for the web pages, or give NAME a new password and the
    membership given (which ends all of NAME's sessions). Without --organisation the account
    is a platform administrator's."""
    name = _account_name(name)
    member = checked_membership(config, organisation, role, events)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    db = Database(config.database_url("schedule"), pool_size=1)
    try:
        with db.transaction() as session:
            created = set_password(session, name, password, member)
    finally:
        db.dispose()
    who = f"{name!r}, {describe_membership(member)},"
    if created:
        click.echo(f"Organiser {who} created; log in at {config.service_urls['schedule']}/login")
    else:
        click.echo(f"Organiser {who} password changed; every session of {name!r} has ended")


@click.command("remove-organiser")
@name_argument
@click.pass_obj
def remove_organiser_command(config: Config, name: str) -> None:
    """Remove an organiser account; its sessions end in every service."""
    name = _account_name(name)
    db = Database(config.database_url("schedule"), pool_size=1)
    try:
        with db.transaction() as session:
            removed = remove_organiser(session, name)
    finally:
        db.dispose()
    if not removed:
        raise click.ClickException(f"there is no organiser {name!r}")
    click.echo(f"Organiser {name!r} removed; every session of {name!r} has ended")
