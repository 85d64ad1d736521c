"""`todo create-organiser NAME`: an account for the organiser pages."""

from __future__ import annotations

import sys

import click

from services.schedule.models import OrganiserAccount
from shared.config import Config
from shared.db import Database
from shared.pages.organisers import MIN_PASSWORD_LENGTH, set_organiser_password


@click.command("create-organiser")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="read the password from standard input (scripts)"
)
@click.pass_obj
def create_organiser_command(config: Config, name: str, password_stdin: bool) -> None:
    """Create an organiser account for the web pages, or set a new password for NAME."""
    name = name.strip()
    if not name or len(name) > 100:
        raise click.BadParameter("give a name of 1 to 100 characters", param_hint="NAME")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    db = Database(config.database_url("schedule"), pool_size=1)
    try:
        with db.transaction() as session:
            created = set_organiser_password(session, OrganiserAccount, name, password)
    finally:
        db.dispose()
    if created:
        click.echo(f"Organiser {name!r} created; log in at {config.service_urls['schedule']}/login")
    else:
        click.echo(f"Organiser {name!r}: password changed")
