"""Runs the app under gunicorn (a production WSGI server): one process whose request threads
hand queries to the pre-forked query workers, graceful shutdown on SIGTERM, and hot reload.

Reload (SIGHUP, or ``--watch`` noticing a changed input file) rebuilds the store in the
gunicorn master, which is single-threaded and so may fork safely. A build that fails (a syntax
error, a SHACL violation) is logged with file, line and violation, and the last good store is
kept; either way gunicorn then starts a fresh worker on the current store and retires the old
one gracefully, so requests in flight finish.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from ipkg.build.dataset import InvalidData
from ipkg.build.loading import DataSpec, RdfInputError
from ipkg.build.sources import ArticleSources
from ipkg.config import Settings
from ipkg.stores import Store, StoreError, opened_store

log = logging.getLogger(__name__)


def watched_files(settings: Settings) -> list[Path]:
    """The files whose change should reload the service."""
    if settings.data:
        return [DataSpec.parse(text).path for text in settings.data]
    sources = ArticleSources.embedded()
    return [*sources.inputs(), sources.shapes]


def _mtimes(paths: list[Path]) -> list[float]:
    stamps = []
    for path in paths:
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return stamps


def watch(paths: list[Path], on_change: Callable[[], None], interval: float = 1.0) -> None:
    """Polls ``paths`` forever (run it in a daemon thread); calls ``on_change`` after a change."""
    seen = _mtimes(paths)
    while True:
        time.sleep(interval)
        now = _mtimes(paths)
        if now != seen:
            seen = now
            on_change()


class RefusingArbiter(Arbiter):
    """gunicorn's master, but on shutdown it stops listening at once: gunicorn only closes
    its copy of the listening socket, and the worker keeps its own until the requests in
    flight finish, so new clients would wait in the backlog for the whole graceful shutdown
    instead of being refused. (A reload replaces workers without calling ``stop``.)"""

    def stop(self, graceful: bool = True) -> None:
        for listener in self.LISTENERS:
            with contextlib.suppress(OSError):
                listener.sock.shutdown(socket.SHUT_RDWR)
        super().stop(graceful)


class IpkgServer(BaseApplication):
    """gunicorn, configured from :class:`Settings` instead of its own command line."""

    def __init__(self, settings: Settings, store: ox.Store | Store, title: str) -> None:
        self.settings = settings
        self.store = store
        self.title = title
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            # One process: the query workers are the parallelism, and the store is loaded once.
            "workers": 1,
            "worker_class": "ipkg.web.front.BufferingWorker",  # requests gathered before a thread
            "threads": self.settings.threads,
            "timeout": max(60, int(self.settings.query_timeout * 3)),
            "graceful_timeout": int(self.settings.query_timeout) + 5,
            "accesslog": None,
            "loglevel": self.settings.log_level,
            "preload_app": False,
            "control_socket_disable": True,
            # gunicorn's largest request line (default 4094): longer GET queries reach the app,
            # which answers 414 in plain text past --max-query-length.
            "limit_request_line": 8190,
            "when_ready": self._when_ready,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def _when_ready(self, arbiter: Any) -> None:
        if self.settings.watch:
            master = os.getpid()
            paths = watched_files(self.settings)
            thread = threading.Thread(
                target=watch,
                args=(paths, lambda: os.kill(master, signal.SIGHUP)),
                name="ipkg-watch",
                daemon=True,
            )
            thread.start()
            log.info("watching %s for changes", ", ".join(str(p) for p in paths))

    def reload(self) -> None:
        """Called by gunicorn on SIGHUP, in the master, before it replaces the worker."""
        try:
            self.store, self.title = opened_store(self.settings, self.settings.namespaces())
            log.info("reload: new data loaded")
        except (RdfInputError, InvalidData, OSError, StoreError) as exc:
            log.error("reload refused, still serving the last good data: %s", exc)
        super().reload()

    def run(self) -> None:
        try:
            RefusingArbiter(self).run()
        except RuntimeError as exc:  # gunicorn's own start-up errors (e.g. address in use)
            sys.exit(f"ipkg: error: {exc}")

    def load(self) -> Any:
        from ipkg.web.app import create_app

        return create_app(self.settings, (self.store, self.title))


def _access_log_as_json_lines() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("ipkg.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False


def serve(settings: Settings, store: ox.Store | Store, title: str) -> None:
    """Serves ``store`` until SIGTERM or SIGINT. The store is built before gunicorn starts, so a
    bad input fails with a clear message here and worker restarts reuse it."""
    _access_log_as_json_lines()
    IpkgServer(settings, store, title).run()
