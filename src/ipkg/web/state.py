"""The service's runtime state, kept on the Flask app object (no module-level mutable state)."""

from __future__ import annotations

import threading
from dataclasses import InitVar, dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

from ipkg.config import Settings
from ipkg.namespaces import Namespaces, apart_graphs
from ipkg.stores.base import Store
from ipkg.web.caches import CacheRegistry, ResultCache
from ipkg.web.metrics import Metrics

# What the WSGI layer in front (answer_cache.py) leaves in the environ for the app, so that a
# request is parsed once and the result cache looked up once. Clients cannot set these keys
# (their headers arrive as HTTP_*).
OPERATION_KEY = "ipkg.operation"  # the Operation read from the request
LOOKUP_KEY = "ipkg.cache_lookup"  # (key, version, kept answer or None) of the one lookup

EXTENSION_KEY = "ipkg"

if TYPE_CHECKING:
    from ipkg.web.query_service import QueryService


@dataclass
class ServiceState:
    """What every request handler needs: settings, the store, and the query service."""

    settings: Settings
    namespaces: Namespaces
    queries: QueryService  # the one road to the store's query runner
    backend: Store  # the store behind ``queries`` (memory, disk or remote)
    graph_sizes: dict[str, int] = field(default_factory=dict)
    title: str = "ipkg"
    union_size: int = 0
    metrics: Metrics = field(default_factory=Metrics)
    # Counts the writes this process has committed: caches of answers and dumps filled at one
    # version are stale at the next. (A reload starts a new process, so a new count.)
    data_version: int = 0
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    # Every cache of what holds for one data version (/sparql answers, saved-query answers,
    # dumps, …), keyed with ``data_version``.
    caches: CacheRegistry = field(default_factory=CacheRegistry)
    # The bytes the /sparql answers may take (0: not cached).
    result_cache_bytes: InitVar[int] = 0
    # The /sparql answers, one cache of ``caches``.
    results: ResultCache = field(init=False)

    def __post_init__(self, result_cache_bytes: int) -> None:
        self.results = ResultCache(self.caches, result_cache_bytes)

    @property
    def triple_count(self) -> int:
        """Distinct triples in all the graphs (the complete dump)."""
        return self.union_size

    @property
    def default_graph_size(self) -> int:
        """Triples in the default graph: the union of the graphs but those kept apart (the
        saved-query catalogue, whose triples no other graph holds), or with
        ``--default-graph separate`` the stored default graph alone."""
        if not self.settings.union_default_graph:
            return self.graph_sizes.get("", 0)
        apart = sum(self.graph_sizes.get(g, 0) for g in apart_graphs(self.namespaces))
        return self.union_size - apart


def state() -> ServiceState:
    """The state of the app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
