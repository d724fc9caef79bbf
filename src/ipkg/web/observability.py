"""What operators see: one JSON access-log line per request, and ``/metrics`` in Prometheus
format (requests by route and status, latency, queries stopped at the deadline, graph size)."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import TextIO

from flask import Blueprint, Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from ipkg.web.metrics import Metrics
from ipkg.web.state import OPERATION_KEY, ServiceState, state

blueprint = Blueprint("observability", __name__)
access_log = logging.getLogger("ipkg.access")
LOG_BUFFER = 65_536  # bytes of access-log lines gathered before they are written
LOG_FLUSH = 1.0  # seconds a line may wait in the buffer


class BufferedLines(logging.Handler):
    """Access-log lines written in batches, as nginx's ``access_log … buffer=64k flush=1s``:
    kept until ``limit`` bytes have gathered or ``every`` seconds have passed, then written in
    one call by a thread of its own, so a request (a cache hit on the front's event loop, say)
    makes no write of its own and never waits for one, unless the stream has stopped taking
    lines and ``BACKLOG`` times ``limit`` wait (then the request writes them: back-pressure,
    not unbounded memory). Whatever is left is written when logging shuts down."""

    BACKLOG = 64

    def __init__(self, stream: TextIO, limit: int = LOG_BUFFER, every: float = LOG_FLUSH) -> None:
        super().__init__()
        self.stream = stream
        self.limit = limit
        self._lines: list[str] = []
        self._size = 0
        self._gathering = threading.Lock()  # the buffer (not Handler.lock, which handle() holds)
        self._writing = threading.Lock()  # one batch at a time, in order
        self._full = threading.Event()
        self._closed = threading.Event()
        flusher = threading.Thread(
            target=self._flush_every, args=(every,), name="ipkg-access-log", daemon=True
        )
        flusher.start()

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record) + "\n"
        with self._gathering:
            self._lines.append(line)
            self._size += len(line)
            size = self._size
        if size >= self.BACKLOG * self.limit:
            self.flush()
        elif size >= self.limit:
            self._full.set()

    def flush(self) -> None:
        with self._writing:
            with self._gathering:
                lines, self._lines, self._size = self._lines, [], 0
            if lines:
                self.stream.write("".join(lines))
                self.stream.flush()

    def _flush_every(self, seconds: float) -> None:
        while not self._closed.is_set():
            self._full.wait(seconds)
            self._full.clear()
            self.flush()

    def close(self) -> None:
        self._closed.set()
        self._full.set()
        self.flush()
        super().close()


def _query_text() -> str | None:
    operation = request.environ.get(OPERATION_KEY)  # read once, in front of the app
    if operation is not None:
        return operation.text
    text = request.args.get("query")
    try:
        if text is None and request.mimetype == "application/sparql-query":
            text = request.get_data(as_text=True)
        elif text is None and request.mimetype == "application/x-www-form-urlencoded":
            text = request.form.get("query")
    except HTTPException:  # a body over --max-body: already answered 413, nothing to hash
        return None
    return text


def _start_timer() -> None:
    g.ipkg_started = time.perf_counter()


def record(
    metrics: Metrics,
    request_line: tuple[str, str, str],
    status: int,
    elapsed: float,
    query: str | None,
    rows: int,
) -> None:
    """Counts one finished request (method, path, route) and writes its access-log line."""
    method, path, route = request_line
    metrics.observe(method, route, status, elapsed)
    if access_log.isEnabledFor(logging.INFO):
        entry = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(elapsed * 1000, 3),
            "query_hash": hashlib.sha256(query.encode()).hexdigest()[:16] if query else None,
            "rows": rows or None,
        }
        access_log.info(json.dumps(entry, separators=(",", ":")))


def _record(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("ipkg_started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "(unmatched)"
    logged = access_log.isEnabledFor(logging.INFO)
    record(
        state().metrics,
        (request.method, request.path, route),
        response.status_code,
        elapsed,
        _query_text() if logged else None,
        int(response.headers.get("X-Result-Count", 0) or 0) if logged else 0,
    )
    return response


@blueprint.get("/metrics")
def metrics() -> Response:
    return Response(
        state().metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8"
    )


def install(app: Flask, service: ServiceState) -> Metrics:
    """Wires the timer, the access log and the gauges into the app."""
    metrics = Metrics()
    stats = service.queries.stats
    metrics.gauge(
        "ipkg_queries_completed_total", "Queries answered by a worker.", lambda: stats.completed
    )
    metrics.gauge(
        "ipkg_queries_running",
        "Queries and updates running now (on a query worker or the remote store).",
        lambda: service.queries.running,
    )
    metrics.gauge(
        "ipkg_queries_killed_total",
        "Queries stopped at their deadline.",
        lambda: stats.killed_at_deadline,
    )
    metrics.gauge(
        "ipkg_query_workers_lost_total",
        "Workers that ended mid-query (memory cap).",
        lambda: stats.crashed,
    )
    metrics.gauge(
        "ipkg_queries_rejected_busy_total",
        "Queries refused: every worker busy.",
        lambda: stats.busy_rejections,
    )
    metrics.gauge(
        "ipkg_query_workers_network_isolated",
        "1 when the query workers run in an empty network namespace, else 0.",
        lambda: int(bool(service.queries.isolation.get("no_network"))),
    )
    metrics.gauge(
        "ipkg_query_workers_memory_capped",
        "1 when each query worker's address space is capped, else 0.",
        lambda: int(bool(service.queries.isolation.get("memory_limit"))),
    )
    metrics.gauge(
        "ipkg_graph_triples",
        "Distinct triples in the union default graph.",
        lambda: service.triple_count,
    )
    results = service.results
    for name, help_text, read in (
        (
            "hits_total",
            "Queries answered from the /sparql result cache.",
            lambda: results.stats.hits,
        ),
        (
            "misses_total",
            "Queries looked up in the result cache and not found.",
            lambda: results.stats.misses,
        ),
        (
            "evictions_total",
            "Answers dropped to keep the cache in its bound.",
            lambda: results.stats.evictions,
        ),
        (
            "bytes",
            "Bytes held by the result cache (bodies, query texts, overhead).",
            lambda: results.stats.size,
        ),
        ("entries", "Answers held by the result cache.", lambda: results.stats.entries),
    ):
        metrics.gauge("ipkg_result_cache_" + name, help_text, read)
    app.before_request(_start_timer)
    app.after_request(_record)
    app.register_blueprint(blueprint)
    return metrics
