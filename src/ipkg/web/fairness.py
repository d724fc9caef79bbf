"""Fair share of the query workers: each client address holds at most ``client_queries``
workers at once. Over that, a request waits briefly for its own earlier query to finish and
is then answered 429 with ``Retry-After``, so one client sending slow queries cannot occupy
every worker (a rate limit bounds how often, not how long). The client is the peer address,
or the last ``X-Forwarded-For`` entry when the peer is the configured trusted proxy."""

from __future__ import annotations

import threading
import time
from collections import Counter

from flask import Request

from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryOutcome, QueryRequest, UpdateRequest
from ipkg.web.state import ServiceState

WAIT = 1.0  # how long a request over its client's share waits for a slot


def client_of(req: Request, trusted_proxy: str) -> str:
    """The address a request is counted against."""
    peer = req.remote_addr or "unknown"
    forwarded = req.headers.get("X-Forwarded-For", "")
    if trusted_proxy and peer == trusted_proxy and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return peer


class FairShare:
    """Counts the workers each client holds; thread-safe, forgets clients holding none."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self._held: Counter[str] = Counter()
        self._changed = threading.Condition()

    def acquire(self, client: str, wait: float) -> bool:
        """Takes a slot for ``client``, waiting up to ``wait`` s; False when none came free."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._held[client] < self.per_client, wait):
                if not self._held[client]:
                    del self._held[client]
                return False
            self._held[client] += 1
            return True

    def release(self, client: str) -> None:
        with self._changed:
            self._held[client] -= 1
            if self._held[client] <= 0:
                del self._held[client]
            self._changed.notify_all()


def run_fairly(
    service: ServiceState,
    req: Request,
    job: QueryRequest | UpdateRequest,
    started: float,
) -> QueryOutcome:
    """Runs ``job`` on the pool within the client's share; the deadline counts from
    ``started`` (the request's arrival), so time spent waiting for a slot counts too."""
    settings = service.settings
    client = client_of(req, settings.trusted_proxy)
    left = settings.query_timeout - (time.monotonic() - started)
    if not service.fair_share.acquire(client, min(WAIT, max(left, 0.0))):
        return QueryOutcome.error(
            ErrorKind.TOO_MANY,
            f"this client already runs {settings.client_queries} queries at once "
            "(--client-queries); retry when one has finished",
        )
    try:
        return service.pool.run(job, settings.query_timeout, started)
    finally:
        service.fair_share.release(client)
