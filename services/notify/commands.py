"""The notify service's `todo` commands: its worker processes."""

from __future__ import annotations

import click

from services.notify.delivery import MailWorker
from services.notify.mails import Mailer
from services.notify.reminders import ReminderScheduler
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.db import Database


@click.command("send-mail")
@click.pass_obj
def send_mail(config: Config) -> None:
    """Deliver queued mail (SMTP_URL, or the Maildir under var/mail/) until stopped."""
    from shared.cli import _stop_on_signals  # shared.cli imports this module at start-up

    worker = MailWorker(Database(config.database_url("notify")), config, NotifySettings.from_env())
    _stop_on_signals(worker.stop)
    worker.run()


@click.command("send-reminders")
@click.pass_obj
def send_reminders(config: Config) -> None:
    """Queue reminders before sessions (REMINDER_OFFSETS, default 24h,1h) until stopped."""
    from shared.cli import _stop_on_signals  # shared.cli imports this module at start-up

    scheduler = ReminderScheduler(
        Database(config.database_url("notify")), Mailer(config), NotifySettings.from_env()
    )
    _stop_on_signals(scheduler.stop)
    scheduler.run()
