"""The default store: the whole dataset in an in-memory pyoxigraph store, queried by forked
workers that share it copy-on-write. Nothing survives a restart; the graphs written over
HTTP are kept so that a reload replays them onto the new data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from ipkg.config import StoreKind
from ipkg.stores.base import (
    PooledStore,
    distinct_triples,
    graph_term,
    sizes_of,
    updated_graphs,
    whole_graph,
)


class MemoryStore(PooledStore):
    """An in-memory dataset and the worker pool that queries it."""

    kind = StoreKind.MEMORY

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._sizes = sizes_of(store)
        self._union = distinct_triples(store)
        # Every graph written over HTTP, as it now is: a reload replays them onto new data.
        self.written: dict[str, Sequence[ox.Quad]] = {}

    def worker_source(self) -> ox.Store:
        return self.store  # forked workers share it copy-on-write

    def graph_sizes(self) -> dict[str, int]:
        return dict(self._sizes)

    def union_size(self) -> int:
        return self._union

    def quads(self) -> list[ox.Quad]:
        return list(self.store)

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        return whole_graph(self.store, graph)

    def replace_graphs(self, graphs: Mapping[str, Sequence[ox.Quad]]) -> None:
        replaced = {graph_term(key) for key in graphs}
        new = ox.Store()
        new.extend(q for q in self.store if q.graph_name not in replaced)
        new.extend(q for quads in graphs.values() for q in quads)
        if self.pool is not None:
            with self.pool.exclusive(new.dump(format=ox.RdfFormat.N_QUADS)):
                self.store = new
        self.store = new
        self._sizes = sizes_of(new)
        self._union = distinct_triples(new)
        self.written.update(graphs)

    def apply_update(self, update: str, base_iri: str | None = None) -> None:
        self.replace_graphs(updated_graphs(self.store, update, base_iri))
