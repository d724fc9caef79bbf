"""The service's runtime state, kept on the Flask app object (no module-level mutable state)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ipkg.config import Settings
from ipkg.namespaces import Namespaces
from ipkg.sparql.pool import WorkerPool
from ipkg.web.metrics import Metrics

EXTENSION_KEY = "ipkg"


@dataclass
class ServiceState:
    """What every request handler needs: settings, the store, and the query workers."""

    settings: Settings
    namespaces: Namespaces
    pool: WorkerPool
    graph_sizes: dict[str, int] = field(default_factory=dict)
    title: str = "ipkg"
    union_size: int = 0
    metrics: Metrics = field(default_factory=Metrics)
    # The ipkg.stores.Store behind ``pool`` (memory, disk or remote).
    backend: Any = None
    # Counts the writes this process has committed: caches of answers and dumps filled at one
    # version are stale at the next. (A reload starts a new process, so a new count.)
    data_version: int = 0
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    # Workers held per client address (see ipkg.web.fairness); set by create_app.
    fair_share: Any = None

    @property
    def triple_count(self) -> int:
        """Distinct triples in the union default graph."""
        return self.union_size


def state() -> ServiceState:
    """The state of the app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
