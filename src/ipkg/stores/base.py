"""The interface every store behind the service implements (in memory, on disk, remote): run a
query with a deadline, report graph sizes, and replace graphs atomically for writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from ipkg.config import StoreKind
from ipkg.errors import ErrorKind, IpkgError
from ipkg.sparql.execution import QueryOutcome, QueryRequest
from ipkg.sparql.pool import PoolStats, StoreSource, WorkerPool

DEFAULT_GRAPH = ""  # the key of the default graph in graph-size and replacement maps


class StoreError(IpkgError, RuntimeError):
    """The store cannot do what was asked (unreachable, refused a write); the message says why."""

    kind = ErrorKind.UPSTREAM


@dataclass(frozen=True)
class Capabilities:
    """What a store can do, declared by the store so that no caller sniffs its type."""

    # Queries (and updates on a scratch copy) run in this host's isolated worker pool, which
    # can be healed; without it an update runs where the store says (see ``apply_update``).
    local_workers: bool
    # Only this service changes the data, so an answer may be kept until its next write.
    cacheable: bool
    # One process at a time may open it (RocksDB's lock): a reload closes it before reopening.
    single_opener: bool = False


LOCAL = Capabilities(local_workers=True, cacheable=True)
REMOTE = Capabilities(local_workers=False, cacheable=False)
ON_DISK = Capabilities(local_workers=True, cacheable=True, single_opener=True)


class PooledStore:
    """What the local stores (memory, disk) share: their queries run in a pool of forked
    workers, each holding the data ``worker_source`` gives it."""

    pool: WorkerPool | None = None
    capabilities = LOCAL

    def worker_source(self) -> StoreSource:
        raise NotImplementedError

    def start(self, workers: int, memory_mb: int, *, network_namespace: bool = True) -> WorkerPool:
        self.pool = WorkerPool(self.worker_source(), workers, memory_mb, network_namespace)
        return self.pool

    def query(
        self, request: QueryRequest, timeout: float, started: float | None = None
    ) -> QueryOutcome:
        if self.pool is None:
            raise RuntimeError("start() the store before querying it")
        return self.pool.run(request, timeout, started)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


class QueryRunner(Protocol):
    """What the web code calls ``state().pool``: runs one query within a deadline."""

    size: int
    stats: PoolStats
    isolation: dict[str, bool]
    apart_graphs: tuple[str, ...]  # named graphs kept out of the default graph

    def run(
        self, request: QueryRequest, timeout: float, started: float | None = None
    ) -> QueryOutcome: ...

    def heal(self) -> bool:
        """True when the runner can run queries (restarting what died first, if anything)."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """A dataset the service reads and, with updates enabled, writes."""

    kind: StoreKind
    capabilities: Capabilities

    def start(self, workers: int, memory_mb: int, *, network_namespace: bool = True) -> QueryRunner:
        """Starts the query runner (call while the process is single-threaded: it may fork)."""
        ...

    def query(
        self, request: QueryRequest, timeout: float, started: float | None = None
    ) -> QueryOutcome: ...

    def graph_sizes(self) -> dict[str, int]:
        """Triples per graph: the default graph under '' and each named graph under its IRI."""
        ...

    def union_size(self) -> int:
        """Distinct triples in the union of all graphs."""
        ...

    def quads(self) -> list[ox.Quad]:
        """Every quad of the dataset (the starting point of a write)."""
        ...

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        """The quads of the named graph ``graph`` read whole (None: every named graph, and
        the default graph's triples that are in none), never cut at a row cap."""
        ...

    def replace_graphs(self, graphs: Mapping[str, Sequence[ox.Quad]]) -> None:
        """Replaces each graph named in ``graphs`` ('' is the default graph) by its quads, all
        or nothing; an empty sequence removes the graph. Queries after it see the new data."""
        ...

    def apply_update(self, update: str, base_iri: str | None = None) -> None:
        """Runs a SPARQL Update against the dataset, all or nothing."""
        ...

    def close(self) -> None: ...


def graph_key(term: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    """The key of a quad's graph in size and replacement maps."""
    return DEFAULT_GRAPH if isinstance(term, ox.DefaultGraph) else term.value


def whole_graph(store: ox.Store, graph: str | None) -> list[ox.Quad]:
    """:meth:`Store.graph_quads` of a pyoxigraph store."""
    if graph is not None:
        return list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    named = [q for q in store if not isinstance(q.graph_name, ox.DefaultGraph)]
    in_named = {q.triple for q in named}
    default = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    return named + [q for q in default if q.triple not in in_named]


def graph_term(key: str) -> ox.NamedNode | ox.DefaultGraph:
    """The graph name a key stands for."""
    return ox.DefaultGraph() if key == DEFAULT_GRAPH else ox.NamedNode(key)


def sizes_of(quads: Iterable[ox.Quad]) -> dict[str, int]:
    """Triples per graph, keyed as in :func:`graph_key`."""
    sizes: dict[str, int] = {}
    for quad in quads:
        key = graph_key(quad.graph_name)
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


def distinct_triples(store: ox.Store) -> int:
    """Triples in the union of the graphs, counted once however many graphs hold them."""
    result = store.query(
        "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }",
        use_default_graph_as_union=True,
    )
    return int(next(iter(result))["n"].value)


def changed_graphs(before: ox.Store, after: ox.Store) -> dict[str, list[ox.Quad]]:
    """The graphs whose content differs between two stores, with their new quads."""
    old, new = _by_graph(before), _by_graph(after)
    return {
        key: list(new.get(key, ()))
        for key in old.keys() | new.keys()
        if old.get(key, set()) != new.get(key, set())
    }


def _by_graph(store: ox.Store) -> dict[str, set[ox.Quad]]:
    graphs: dict[str, set[ox.Quad]] = {}
    for quad in store:
        graphs.setdefault(graph_key(quad.graph_name), set()).add(quad)
    return graphs


def updated_graphs(
    quads: Iterable[ox.Quad], update: str, base_iri: str | None = None
) -> dict[str, list[ox.Quad]]:
    """The graphs a SPARQL Update changes when run on ``quads``, with their new content."""
    before = ox.Store()
    before.extend(quads)
    after = ox.Store()
    after.extend(before)
    after.update(update, base_iri=base_iri)
    return changed_graphs(before, after)


def insert_data(graphs: Mapping[str, Sequence[ox.Quad]]) -> str:
    """A SPARQL ``INSERT DATA`` of the quads (blank nodes keep their labels within it)."""
    parts = ["INSERT DATA {"]
    for key, quads in graphs.items():
        if not quads:
            continue
        body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
        parts.append(body if key == DEFAULT_GRAPH else f"GRAPH <{key}> {{\n{body}\n}}")
    parts.append("}")
    return "\n".join(parts)


def replacement_update(graphs: Mapping[str, Sequence[ox.Quad]]) -> str:
    """One SPARQL Update that replaces the graphs (a single transaction in Oxigraph)."""
    drops = [
        "CLEAR DEFAULT" if key == DEFAULT_GRAPH else f"DROP SILENT GRAPH <{key}>" for key in graphs
    ]
    return " ;\n".join([*drops, insert_data(graphs)])
