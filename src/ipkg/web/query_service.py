"""The one road from a request to the query workers: every query of every room (the protocol,
the saved-query API, pages, labels, search, the Graph Store, updates, health) goes through
:class:`QueryService`, which owns the policies a query is run under: the deadline (counted
from the request's arrival), the client's fair share of the workers, the store's declared
capabilities, and the mapping of a failed outcome to the one error type. No other module of
``web/`` calls the query runner (tests/test_architecture.py checks it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import request

from ipkg.config import Settings
from ipkg.errors import RETRYABLE, ErrorKind, IpkgError
from ipkg.linkeddata.describe import OxTerm, Row, Select, rows_from_json
from ipkg.sparql.execution import QueryOutcome, QueryRequest, UpdateRequest
from ipkg.sparql.pool import PoolStats
from ipkg.stores.base import Capabilities, QueryRunner, Store
from ipkg.web.clients import client_of_environ
from ipkg.web.fairness import WAIT, FairShare
from ipkg.web.state import state

ARRIVED = "ipkg.arrived"  # the WSGI environ key of a request's arrival (time.monotonic())
HEALTH_TIMEOUT = 2.0  # seconds /readyz gives its probe query
# Building the search index reads every name of the data at once: a million triples' worth
# takes a while, and no client waits on it.
INDEX_TIMEOUT = 600.0
INDEX_CAPS = {"max_rows": 50_000_000, "max_bytes": 1 << 31}


def error_of(outcome: QueryOutcome, *, ours: bool = False) -> IpkgError:
    """The error a failed outcome is raised as. ``ours``: the query was written by the service
    (a page's), so a client-side kind means a fault of the service, answered 500."""
    kind = outcome.failure or ErrorKind.INTERNAL
    if ours and kind not in RETRYABLE and kind is not ErrorKind.OVER_MEMORY:
        kind = ErrorKind.INTERNAL
    return IpkgError(outcome.body.decode("utf-8", "replace"), kind)


class QueryService:
    """Runs queries and updates on the store's runner, each under the service's policies."""

    def __init__(self, settings: Settings, store: Store, runner: QueryRunner) -> None:
        self.settings = settings
        self.store = store
        self.runner = runner
        self.fair_share = FairShare(settings.client_queries)
        self._running = 0  # queries and updates on the runner now (a gauge in /metrics)
        self._running_lock = threading.Lock()

    @property
    def running(self) -> int:
        return self._running

    def _on_runner(self, job: QueryRequest | UpdateRequest, started: float) -> QueryOutcome:
        with self._running_lock:
            self._running += 1
        try:
            return self.runner.run(job, self.settings.query_timeout, started)
        finally:
            with self._running_lock:
                self._running -= 1

    @property
    def capabilities(self) -> Capabilities:
        return self.store.capabilities

    @property
    def stats(self) -> PoolStats:
        return self.runner.stats

    @property
    def isolation(self) -> dict[str, bool]:
        return self.runner.isolation

    @property
    def workers(self) -> int:
        return self.runner.size

    def run(
        self, job: QueryRequest | UpdateRequest, client: str | None, started: float
    ) -> QueryOutcome:
        """Runs ``job`` within ``client``'s share of the workers (None: the service's own
        work, unshared) and the deadline counted from ``started`` (the arrival), so time
        spent waiting for a slot counts too."""
        timeout = self.settings.query_timeout
        if client is None:
            return self._on_runner(job, started)
        left = timeout - (time.monotonic() - started)
        if not self.fair_share.acquire(client, min(WAIT, max(left, 0.0))):
            return QueryOutcome.error(
                ErrorKind.TOO_MANY,
                f"this client already runs {self.settings.client_queries} queries at once "
                "(--client-queries); retry when one has finished",
            )
        try:
            return self._on_runner(job, started)
        finally:
            self.fair_share.release(client)

    def answer(
        self, job: QueryRequest | UpdateRequest, client: str | None, started: float
    ) -> QueryOutcome:
        """:meth:`run`, with a failure raised as the one error type."""
        outcome = self.run(job, client, started)
        if not outcome.ok:
            raise error_of(outcome)
        return outcome

    def select(self, client: str | None, started: float, max_rows: int | None = None) -> Select:
        """A :data:`Select` for the service's own queries (pages, labels), each run as
        :meth:`run` runs it, with the row cap (or ``max_rows``) and the byte cap."""
        settings = self.settings

        def run(query: str, bindings: Mapping[str, OxTerm]) -> list[Row]:
            job = QueryRequest(
                query=query,
                format_key="json",
                substitutions={name: str(term) for name, term in bindings.items()},
                max_rows=max_rows or settings.max_rows,
                max_bytes=settings.max_result_bytes,
            )
            outcome = self.run(job, client, started)
            if not outcome.ok:
                raise error_of(outcome, ours=True)
            return rows_from_json(outcome.body)

        return run

    def index_select(self) -> Select:
        """A :data:`Select` for building the search index: the service's own work, without
        the per-request row and byte caps, under the index deadline."""

        def run(query: str, bindings: Mapping[str, OxTerm]) -> list[Row]:
            job = QueryRequest(query=query, format_key="json", **INDEX_CAPS)
            outcome = self.runner.run(job, max(self.settings.query_timeout, INDEX_TIMEOUT))
            if not outcome.ok:
                raise error_of(outcome, ours=True)
            return rows_from_json(outcome.body)

        return run

    def ready(self) -> bool:
        """Whether the runner answers a trivial query within the health deadline."""
        return self.runner.run(QueryRequest("ASK {}", "json"), HEALTH_TIMEOUT).ok

    def heal(self) -> bool:
        """Whether queries can run, restarting dead local workers first."""
        return self.runner.heal()

    def close(self) -> None:
        self.runner.close()


# The current request's view ------------------------------------------------------------------


def stamp_arrival(app: Callable) -> Callable:
    """Wraps a WSGI app so that each request carries its arrival time, the start of its
    deadline."""

    def stamped(environ: dict[str, Any], start_response: Callable) -> Any:
        environ.setdefault(ARRIVED, time.monotonic())
        return app(environ, start_response)

    return stamped


def arrival(environ: Mapping[str, Any]) -> float:
    """When the request arrived (now, for a request that was not stamped)."""
    return environ.get(ARRIVED) or time.monotonic()


def current_client(settings: Settings) -> str:
    """The client the current request is counted against."""
    return client_of_environ(request.environ, settings.trusted_proxy)


def queries() -> QueryService:
    """The query service of the current app."""
    return state().queries


def run_for_request(job: QueryRequest | UpdateRequest) -> QueryOutcome:
    """Runs ``job`` for the current request: its client's share, its deadline."""
    service = queries()
    return service.run(job, current_client(service.settings), arrival(request.environ))


def answer_for_request(job: QueryRequest | UpdateRequest) -> QueryOutcome:
    """:func:`run_for_request`, a failure raised as the one error type."""
    service = queries()
    return service.answer(job, current_client(service.settings), arrival(request.environ))


def request_select(max_rows: int | None = None) -> Select:
    """A :data:`Select` whose queries count against the current request's client and
    deadline."""
    service = queries()
    return service.select(current_client(service.settings), arrival(request.environ), max_rows)
