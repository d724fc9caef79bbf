"""Runs the app under gunicorn (a production WSGI server): one process whose request threads
hand queries to the pre-forked query workers, with graceful shutdown on SIGTERM."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pyoxigraph as ox
from gunicorn.app.base import BaseApplication

from ipkg.config import Settings


class IpkgServer(BaseApplication):
    """gunicorn, configured from :class:`Settings` instead of its own command line."""

    def __init__(self, settings: Settings, store: ox.Store, title: str) -> None:
        self.settings = settings
        self.store = store
        self.title = title
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            # One process: the query workers are the parallelism, and the store is loaded once.
            "workers": 1,
            "worker_class": "gthread",
            "threads": self.settings.threads,
            "timeout": max(60, int(self.settings.query_timeout * 3)),
            "graceful_timeout": int(self.settings.query_timeout) + 5,
            "accesslog": None,
            "loglevel": self.settings.log_level,
            "preload_app": False,
            "control_socket_disable": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        from ipkg.web.app import create_app

        return create_app(self.settings, (self.store, self.title))


def _access_log_as_json_lines() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("ipkg.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False


def serve(settings: Settings, store: ox.Store, title: str) -> None:
    """Serves ``store`` until SIGTERM or SIGINT. The store is built before gunicorn starts, so a
    bad input fails with a clear message here and worker restarts reuse it."""
    _access_log_as_json_lines()
    IpkgServer(settings, store, title).run()
