"""The service's runtime state, kept on the Flask app object (no module-level mutable state)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import current_app

from ipkg.config import Settings
from ipkg.metrics import Metrics
from ipkg.namespaces import Namespaces
from ipkg.pool import WorkerPool

EXTENSION_KEY = "ipkg"


@dataclass
class ServiceState:
    """What every request handler needs: settings, the store, and the query workers."""

    settings: Settings
    namespaces: Namespaces
    store: ox.Store
    pool: WorkerPool
    graph_sizes: dict[str, int] = field(default_factory=dict)
    title: str = "ipkg"
    union_size: int = 0
    metrics: Metrics = field(default_factory=Metrics)
    # The ipkg.stores.Store behind ``pool`` (memory, disk or remote). After a write, ``store``
    # is a new object (the new data, or an empty marker for disk and remote stores).
    backend: Any = None
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def triple_count(self) -> int:
        """Distinct triples in the union default graph."""
        return self.union_size


def state() -> ServiceState:
    """The state of the app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
