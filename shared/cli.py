"""The `todo` command: run, migrate and administer the three services."""

from __future__ import annotations

import logging
import os
import signal
import sys
from datetime import timedelta

import click

from shared.auth import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, new_token, revoke_tokens, store_token
from shared.config import SERVICES, Config, ConfigError
from shared.db import Database, utcnow
from shared.logging import configure_logging
from shared.memberships import checked_membership, describe_membership, membership_options

log = logging.getLogger("todo")


def _database(config: Config, service: str, pool_size: int = 5) -> Database:
    return Database(config.database_url(service), pool_size=pool_size)


class ConfigurationProblem(click.ClickException):
    """Exits with EX_CONFIG, which `todo up` does not restart (it would only fail again)."""

    exit_code = os.EX_CONFIG


def _run_declaring(runner) -> None:
    """Run a relay or consumer; queues declared otherwise before end it with what to do."""
    from shared.broker import TopologyMismatch

    try:
        runner.run()
    except TopologyMismatch as error:
        raise ConfigurationProblem(str(error)) from None


def _stop_on_signals(stop) -> None:
    def handler(signum, _frame):
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class TodoCommands(click.Group):
    """The generic commands below, and the services' own (`ServiceSpec.commands`), each
    imported only when it is called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from shared.service import all_services

        own = (name for spec in all_services() for name in spec.commands)
        return sorted({*super().list_commands(ctx), *own})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from shared.service import all_services

        command = super().get_command(ctx, name)
        if command is not None:
            return command
        return next((s.command(name) for s in all_services() if name in s.commands), None)


@click.group(cls=TodoCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """to:DO event-week platform: programme, registration and notifications."""
    try:
        ctx.obj = Config.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(ctx.obj.log_level, process=ctx.invoked_subcommand or "todo")


service_argument = click.argument("service", type=click.Choice(SERVICES))


@main.command()
@click.argument("services", nargs=-1, type=click.Choice(SERVICES))
@click.pass_obj
def migrate(config: Config, services: tuple[str, ...]) -> None:
    """Apply the database migrations of the given services (default: all)."""
    from shared.migrate import upgrade
    from shared.service import load_service

    for name in services or SERVICES:
        db = _database(config, name)
        upgrade(load_service(name), db)
        db.dispose()
        click.echo(f"{name}: database is up to date")


@main.command()
@click.pass_obj
def up(config: Config) -> None:
    """Run everything in the foreground: what `make run` does after installing."""
    from shared.up import up as run_everything

    sys.exit(run_everything(config))


@main.command()
@click.pass_obj
def prepare(config: Config) -> None:
    """Migrate every database and load the bundled data (what `up` does before starting)."""
    from shared.service import all_services
    from shared.up import prepare as prepare_all

    prepare_all(config, all_services())


@main.command("make-migration")
@service_argument
@click.argument("message")
@click.pass_obj
def make_migration(config: Config, service: str, message: str) -> None:
    """For developers: write a migration for the service's model changes (after `migrate`)."""
    from shared.migrate import make_revision
    from shared.service import load_service

    make_revision(load_service(service), _database(config, service), message)


def _token_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise click.BadParameter("give a name of 1 to 100 characters", param_hint="NAME")
    return name


@main.command("create-token")
@click.argument("name")
@membership_options
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    default=DEFAULT_TOKEN_DAYS,
    show_default=True,
    help="the token stops working after this many days",
)
@click.pass_obj
def create_token(
    config: Config,
    name: str,
    organisation: str | None,
    role: str | None,
    events: tuple[str, ...],
    expires_in_days: int,
) -> None:
    """Create an organiser API token; it is printed once, alone on the last line. Without
    --organisation the token is a platform administrator's, for the instance operator."""
    from shared.service import all_services

    name = _token_name(name)
    member = checked_membership(config, organisation, role, events)
    token = new_token()
    created_at, lifetime = utcnow(), timedelta(days=expires_in_days)
    for spec in all_services():
        db = _database(config, spec.name)
        with db.transaction() as session:
            store_token(
                session,
                spec.tokens,
                name,
                token,
                lifetime=lifetime,
                created_at=created_at,
                member=member,
            )
        db.dispose()
    expires_at = created_at + lifetime
    click.echo(
        f"Organiser token {name!r} for {describe_membership(member)} created, valid until "
        f"{expires_at:%Y-%m-%d %H:%M} UTC; it is shown only this once:",
        err=True,
    )
    click.echo(token)


@main.command("revoke-token")
@click.argument("name")
@click.pass_obj
def revoke_token(config: Config, name: str) -> None:
    """Revoke the organiser API tokens called NAME in every service, at once."""
    from shared.service import all_services

    name = _token_name(name)
    revoked = {}
    for spec in all_services():
        db = _database(config, spec.name)
        with db.transaction() as session:
            revoked[spec.name] = revoke_tokens(session, spec.tokens, name)
        db.dispose()
    if not any(revoked.values()):
        raise click.ClickException(f"there is no unrevoked token called {name!r}")
    click.echo(
        f"Organiser token {name!r} revoked ("
        + ", ".join(f"{service}: {count}" for service, count in revoked.items())
        + ")"
    )


@main.command()
@service_argument
@click.pass_obj
def serve(config: Config, service: str) -> None:
    """Serve a service's HTTP API and pages with gunicorn."""
    from shared.gunicorn import serve as run_gunicorn

    run_gunicorn(service, config)


@main.command()
@service_argument
@click.pass_obj
def relay(config: Config, service: str) -> None:
    """Publish the service's outbox to RabbitMQ until stopped."""
    from shared.relay import OutboxRelay
    from shared.service import load_service

    spec = load_service(service)
    runner = OutboxRelay(
        _database(config, service),
        spec.outbox,
        config.amqp_url,
        batch_size=config.relay_batch_size,
        queue_type=config.amqp_queue_type,
        batch_interval=config.relay_batch_interval_seconds,
        retention=timedelta(days=config.outbox_retention_days),
    )
    _stop_on_signals(runner.stop)
    _run_declaring(runner)


@main.command()
@service_argument
@click.pass_obj
def consume(config: Config, service: str) -> None:
    """Handle the service's queues until stopped."""
    from shared.consumer import ConsumerRunner
    from shared.service import load_service

    spec = load_service(service)
    if not spec.consumes:
        raise click.ClickException(f"{service} consumes no messages")
    runner = ConsumerRunner(
        _database(config, service),
        spec.processed,
        config.amqp_url,
        spec.consumer_handlers(config),
        max_attempts=config.consumer_max_attempts,
        retry_base_ms=config.consumer_retry_base_ms,
        queue_type=config.amqp_queue_type,
        processed_retention=timedelta(days=config.processed_message_retention_days),
    )
    _stop_on_signals(runner.stop)
    _run_declaring(runner)


if __name__ == "__main__":
    sys.exit(main())
