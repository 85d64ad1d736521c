"""Serving a service with gunicorn, configured from `Config` (so `.env` and the environment apply).

The app is created in each worker after the fork, so no database or broker connection is shared
between processes.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from shared.config import Config


class ServiceApplication(BaseApplication):
    def __init__(self, service: str, config: Config):
        self.service = service
        self.todo_config = config
        super().__init__()

    def load_config(self):
        config = self.todo_config
        settings = {
            "bind": f"{config.bind_host}:{config.ports[self.service]}",
            "workers": config.web_workers,
            "worker_class": "gthread",
            "threads": config.web_threads,
            "proc_name": f"todo-{self.service}",
            "accesslog": None,
            "errorlog": "-",
            "loglevel": config.log_level.lower(),
            "graceful_timeout": 10,
            "timeout": 60,
            "keepalive": 5,
            "preload_app": False,
        }
        # gunicorn 24+ opens a control socket at one path per user: the three services would
        # fight over it ("Address already in use"), and nothing here uses it.
        if "control_socket_disable" in self.cfg.settings:
            settings["control_socket_disable"] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self):
        from shared.logging import configure_logging
        from shared.service import load_service

        configure_logging(self.todo_config.log_level, process=f"{self.service}-web")
        return load_service(self.service).create_app(self.todo_config)


def serve(service: str, config: Config) -> None:
    ServiceApplication(service, config).run()
