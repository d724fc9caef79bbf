"""Runs the app behind the front (``web/front.py``) in one process: its request threads hand
queries to the pre-forked query workers; SIGTERM drains and exits 0; SIGHUP (or ``--watch``
noticing a changed input file) reloads the data without losing a write.

A reload builds the new data while the old keeps serving (a build that fails, a syntax error or
a SHACL violation, is logged with file, line and violation, and the last good data stays), then
holds new requests back, lets those in flight finish, and only then swaps: a disk store is
closed by the old app before the new one opens it (one owner at a time, every acknowledged
write on disk), and the graphs written over HTTP to a memory store are replayed onto the new
data. The held requests then go to the new app; none is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ipkg.build.dataset import InvalidData
from ipkg.build.loading import DataSpec, RdfInputError
from ipkg.build.sources import ArticleSources
from ipkg.config import Settings
from ipkg.stores import Store, StoreError, opened_store
from ipkg.web.front import EdgeLimits, Front
from ipkg.web.observability import BufferedLines, record
from ipkg.web.state import EXTENSION_KEY

log = logging.getLogger(__name__)

FD_RESERVE = 64  # descriptors kept for the store, the workers' pipes and log files


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


def bind_address(host: str) -> str:
    """``--host`` as the socket layer wants it: ``[::1]`` and ``::1`` are the same address."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host`` (IPv4 or IPv6) and ``port``."""
    address = bind_address(host)
    infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _name, where = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind(where)
        sock.listen(4096)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def connection_budget(wanted: int) -> int:
    """``--max-connections``, lowered to what the descriptor limit allows (raised to its hard
    limit first): past that, accept itself would fail and stall."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted + FD_RESERVE)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    budget = min(wanted, soft - FD_RESERVE)
    if budget < wanted:
        log.warning("max_connections lowered to %d by the descriptor limit (%d)", budget, soft)
    return max(budget, 1)


def edge_limits(settings: Settings) -> EdgeLimits:
    return EdgeLimits(
        head_timeout=min(settings.head_timeout, settings.client_timeout),
        request_timeout=settings.client_timeout,
        send_timeout=settings.send_timeout,
        keepalive_timeout=settings.keepalive_timeout,
        client_connections=settings.client_connections,
        client_pending=settings.client_pending,
        max_connections=connection_budget(settings.max_connections),
        max_body=settings.max_body,
        max_unsent=settings.max_unsent_bytes,
        trusted_proxy=settings.trusted_proxy,
        graceful_timeout=settings.query_timeout + 5,
    )


def backend_of(app: Any) -> Store:
    return app.extensions[EXTENSION_KEY].backend


class Service:
    """The running service: the front, the app it serves, and reloads of the data."""

    def __init__(self, settings: Settings, store: ox.Store | Store, title: str) -> None:
        from ipkg.web.app import create_app

        self.settings = settings
        self.create_app = create_app
        self.title = title
        self.front = Front(
            create_app(settings, (store, title)), edge_limits(settings), settings.threads
        )
        self.front.on_refusal = self._record_refusal
        self._watch_front(self.front.app)
        self._reloads = threading.Semaphore(0)
        # One long-lived thread does every reload: the query workers' zygote it forks is
        # killed by the kernel when the thread that forked it ends.
        self._reloader = threading.Thread(
            target=self._reload_forever, name="ipkg-reload", daemon=True
        )

    def _record_refusal(self, method: str, path: str, status: int) -> None:
        """A request the front refused before the app saw it (a head or body over its limit,
        a malformed request): counted in ``/metrics`` under the route ``(front)`` and written
        to the access log, like the app's answers."""
        service = self.front.app.extensions[EXTENSION_KEY]
        record(service.metrics, (method, path, "(front)"), status, 0.0, None, 0)

    def _watch_front(self, app: Any) -> None:
        """The front's connection counters as gauges of ``app``'s ``/metrics``."""
        metrics = app.extensions[EXTENSION_KEY].metrics
        front = self.front
        metrics.gauge(
            "ipkg_front_connections_evicted_total",
            "Connections closed at the global limit (--max-connections) to let a newcomer in.",
            lambda: front.evicted,
        )
        metrics.gauge(
            "ipkg_front_connections_turned_away_total",
            "Connections closed at accept, unread: over their address's cap or its share at "
            "the global limit.",
            lambda: front.turned_away,
        )
        metrics.gauge("ipkg_front_connections", "Open connections.", lambda: len(front.connections))

    def start_watching(self) -> None:
        paths = watched_files(self.settings)
        thread = threading.Thread(
            target=watch, args=(paths, self.request_reload), name="ipkg-watch", daemon=True
        )
        thread.start()
        log.info("watching %s for changes", ", ".join(str(p) for p in paths))

    def request_reload(self) -> None:
        self._reloads.release()

    def _reload_forever(self) -> None:
        while True:
            self._reloads.acquire()
            while self._reloads.acquire(blocking=False):  # several signals: one reload
                pass
            try:
                self.reload()
            except Exception:
                log.exception("reload failed; still serving the last good data")

    def reload(self) -> None:
        """Loads the data again and swaps it in (see the module docstring)."""
        settings = self.settings
        old_app = self.front.app
        old = backend_of(old_app)
        disk = old.capabilities.single_opener
        fresh: Store | None = None
        if not disk:
            try:
                fresh, self.title = opened_store(settings, settings.namespaces())
            except (RdfInputError, InvalidData, OSError, StoreError) as exc:
                log.error("reload refused, still serving the last good data: %s", exc)
                return
        with self.front.quiesced(settings.query_timeout + 5) as drained:
            if not drained:
                log.warning("reload: requests still running after the graceful timeout")
            if disk:
                old.close()  # one owner of the database at a time
                try:
                    fresh, self.title = opened_store(settings, settings.namespaces())
                except (RdfInputError, InvalidData, OSError, StoreError) as exc:
                    log.error("reload refused, still serving the last good data: %s", exc)
                    fresh = old
            assert fresh is not None
            if fresh is not old:
                carried = carry_writes(old, fresh)
                if carried:
                    log.info("reload: %d graphs written over HTTP carried over", carried)
            app = self.create_app(settings, (fresh, self.title))
            self._watch_front(app)
            self.front.app = app
        if not disk:
            old.close()
        log.info("reload: new data loaded")

    def run(self, sock: socket.socket) -> None:
        self._reloader.start()
        if self.settings.watch:
            self.start_watching()

        def install(stopping: asyncio.Event) -> None:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self._stop, signum)
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)

        host, port = sock.getsockname()[:2]
        log.info("listening at http://%s:%d", f"[{host}]" if ":" in host else host, port)
        asyncio.run(self.front.run(sock, install))
        backend_of(self.front.app).close()
        log.info("stopped")

    def _stop(self, signum: int) -> None:
        log.info("%s: shutting down", signal.Signals(signum).name)
        self.front.stop()


def carry_writes(old: Store, new: Store) -> int:
    """Replays onto ``new`` (not started yet) the graphs written over HTTP to ``old``; returns
    how many. A disk store opened again (not rebuilt) already holds them on disk."""
    written = getattr(old, "written", None)
    if not written or not hasattr(new, "written"):
        return 0
    if getattr(new, "rebuilt", True):
        new.replace_graphs(dict(written))
    else:
        new.written.update(written)
    return len(written)


def serve(settings: Settings, store: ox.Store | Store, title: str) -> None:
    """Serves ``store`` until SIGTERM or SIGINT."""
    _access_log_as_json_lines()
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        sys.exit(f"ipkg: error: cannot listen on {settings.host}:{settings.port}: {exc.strerror}")
    Service(settings, store, title).run(sock)


def _access_log_as_json_lines() -> None:
    handler = BufferedLines(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("ipkg.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
