"""Fair share of the query workers: each client address holds at most ``client_queries``
workers at once. Over that, a request waits briefly for its own earlier query to finish and
is then answered 429 with ``Retry-After``, so one client sending slow queries cannot occupy
every worker (a rate limit bounds how often, not how long). Who the client is, is decided by
``clients.py``; every query takes its slot through ``query_service.py``."""

from __future__ import annotations

import threading
from collections import Counter

WAIT = 1.0  # how long a request over its client's share waits for a slot


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
