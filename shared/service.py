"""What the generic commands (`todo serve|relay|consume|migrate`) need to know of a service.

A spec names its app factory, handlers, commands and the like by import path ("module" or
"module:attribute") and imports them when they are used: every process of the platform reads
all three specs, and importing every service's app, domain and templates cost each of them
about a second of CPU at start."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import Flask

from shared.auth import (
    TOKEN_ISSUED,
    TOKEN_REVOKED,
    ApiTokenMixin,
    on_token_issued,
    on_token_revoked,
)
from shared.config import SERVICES, Config
from shared.consumer import Handler, HandlerTable, ProcessedMessageMixin, bind_handlers
from shared.organisations import EVENT_OWNER_CHANGED, EventOwnerMixin, on_event_owner_changed
from shared.outbox import OutboxMixin
from shared.pages.organisers import (
    SESSIONS_REVOKED,
    OrganiserAccountMixin,
    SessionRevocationMixin,
    on_sessions_revoked,
)
from shared.topology import QUEUES, QueueSpec


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    package_dir: Path
    base: type
    outbox: type[OutboxMixin]
    processed: type[ProcessedMessageMixin]
    tokens: type[ApiTokenMixin]
    # Organiser sessions ended by the schedule service (logout, new password, account removed).
    revocations: type[SessionRevocationMixin]
    # Which organisation owns each event (shared.organisations).
    event_owners: type[EventOwnerMixin]
    # "module:attribute" of create_app(config) -> Flask.
    app_factory: str
    # The service's `handlers.py`: its HANDLERS and, if they need any, `dependencies(config)`.
    handlers_module: str | None = None
    # The service's own `todo` commands: name -> "module:attribute" of the click command.
    commands: Mapping[str, str] = field(default_factory=dict)
    # Worker processes beyond the web server, relay and consumer: name -> `todo` arguments.
    workers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # How many processes of a worker to run (default one), from the environment's settings.
    worker_processes: Callable[[Mapping[str, str]], Mapping[str, int]] = lambda _env: {}
    # "module:attribute" of a function (config) -> None that `todo up` runs after migrating,
    # e.g. to load bundled data; must be idempotent.
    bootstrap: str | None = None
    # The service that keeps the accounts checks them as well as its revocations.
    organiser_accounts: type[OrganiserAccountMixin] | None = None
    # The service that keeps the organisations: "module:attribute" of a function
    # (session, organisation, events) -> None that raises a DomainError unless the
    # organisation exists and owns those events.
    membership_check: str | None = None

    def create_app(self, config: Config) -> Flask:
        return imported(self.app_factory)(config)

    @property
    def handlers(self) -> HandlerTable:
        if self.handlers_module is None:
            return {}
        return importlib.import_module(self.handlers_module).HANDLERS

    def handler_dependencies(self, config: Config) -> Any:
        if self.handlers_module is None:
            return None
        build = getattr(importlib.import_module(self.handlers_module), "dependencies", None)
        return build(config) if build is not None else None

    def command(self, name: str) -> click.Command:
        return imported(self.commands[name])

    def run_bootstrap(self, config: Config) -> None:
        if self.bootstrap is not None:
            imported(self.bootstrap)(config)

    def check_membership(self, session: Any, organisation: str, events: list[str]) -> None:
        imported(self.membership_check)(session, organisation, events)

    @property
    def migrations_dir(self) -> Path:
        return self.package_dir / "migrations"

    @property
    def organiser_access_queue(self) -> QueueSpec | None:
        """Where the service hears of ended organiser sessions and of events' owners, if it
        keeps a copy of them."""
        return next((spec for spec in QUEUES if spec.name == f"{self.name}.organisers"), None)

    @property
    def consumes(self) -> bool:
        return bool(self.handlers) or self.organiser_access_queue is not None

    def consumer_handlers(self, config: Config) -> dict[QueueSpec, dict[str, Handler]]:
        """What the service's consumer runs: its own handlers and, the same in every service,
        those that record ended organiser sessions and events' owners in its own tables."""
        handlers = bind_handlers(self.handlers, self.handler_dependencies(config))
        if self.organiser_access_queue is not None:
            access = {
                SESSIONS_REVOKED: on_sessions_revoked,
                EVENT_OWNER_CHANGED: on_event_owner_changed,
                TOKEN_ISSUED: on_token_issued,
                TOKEN_REVOKED: on_token_revoked,
            }
            # Their dependency is the spec: its tables of revocations, owners and tokens.
            handlers |= bind_handlers({self.organiser_access_queue.name: access}, self)
        return handlers


def imported(path: str) -> Any:
    """The object that "package.module:attribute" names, imported."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_service(name: str) -> ServiceSpec:
    if name not in SERVICES:
        raise click.BadParameter(f"unknown service {name!r}; one of {', '.join(SERVICES)}")
    return importlib.import_module(f"services.{name}.service").SERVICE


def all_services() -> list[ServiceSpec]:
    return [load_service(name) for name in SERVICES]
