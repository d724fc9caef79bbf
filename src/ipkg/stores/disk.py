"""A persistent store: pyoxigraph's RocksDB store in a directory, built (loaded and reasoned)
once and reused at every start while its inputs are unchanged.

Layout of ``--store disk:PATH``: ``PATH/oxigraph`` (the RocksDB database) and
``PATH/meta.json`` (the hash of the inputs it was built from, and graph sizes, so a start
neither reads the inputs nor scans the data). Query workers each open the database read-only
after their fork; a write stops them, opens it read-write, commits one transaction (an
interrupted write leaves nothing behind), and starts fresh workers that see it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ipkg.config import StoreKind
from ipkg.stores.base import (
    DEFAULT_GRAPH,
    ON_DISK,
    PooledStore,
    StoreError,
    distinct_triples,
    replacement_update,
    whole_graph,
)

log = logging.getLogger(__name__)

GRAPH_SIZES = """SELECT ?g (COUNT(*) AS ?n) {
  { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o BIND("" AS ?g) }
} GROUP BY ?g"""


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Writes JSON so that a reader sees the old file or the new one, never a mix."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def in_fresh_process(*args: str) -> None:
    """Runs ``python -m ipkg.stores.disk ARGS`` and waits; raises StoreError if it fails.

    RocksDB starts background threads that a fork does not copy: a process that opened the
    database and then forks (the query-worker zygote) leaves children that hang on
    their first flush. So building and recounting run in a new interpreter, and the serving
    process opens the database only after its workers' zygote is forked.
    """
    done = subprocess.run(
        [sys.executable, "-m", "ipkg.stores.disk", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise StoreError(f"building the disk store failed: {done.stderr.strip()[-2000:]}")


def measured_sizes(store: ox.Store) -> dict[str, Any]:
    """Graph sizes and the union size, counted by the store's own engine."""
    sizes = {}
    for row in store.query(GRAPH_SIZES):
        graph = row["g"]
        key = graph.value if isinstance(graph, ox.NamedNode) else DEFAULT_GRAPH
        sizes[key] = int(row["n"].value)
    sizes = {k: n for k, n in sizes.items() if n}
    return {"sizes": sizes, "union": distinct_triples(store)}


class DiskStore(PooledStore):
    """A RocksDB-backed dataset in a directory and the worker pool that queries it."""

    capabilities = ON_DISK

    kind = StoreKind.DISK

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.database = self.path / "oxigraph"
        self.meta_path = self.path / "meta.json"
        self.meta: dict[str, Any] = self._read_meta()
        self.rebuilt = False  # built from the inputs by this open (writes made before: gone)
        # The graphs written over HTTP by this process, replayed if a reload rebuilds.
        self.written: dict[str, Sequence[ox.Quad]] = {}

    @classmethod
    def opened(
        cls, path: Path, input_key: str, build: Callable[[], Iterable[ox.Quad]]
    ) -> DiskStore:
        """The store at ``path``: reused when it was built from ``input_key``, else rebuilt
        from ``build()`` (which reads and reasons the inputs)."""
        store = cls(path)
        if store.built_from() == input_key and store.database.is_dir():
            log.info("disk store %s: reused (inputs unchanged)", path)
            if not store.meta.get("clean", False):
                store.remeasure()
            return store
        log.info("disk store %s: building from the inputs", path)
        store.build(input_key, build())
        store.rebuilt = True
        return store

    def _read_meta(self) -> dict[str, Any]:
        try:
            return json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_meta(self, **changes: Any) -> None:
        self.meta = {**self.meta, **changes}
        write_json_atomically(self.meta_path, self.meta)

    def built_from(self) -> str | None:
        """The input hash recorded when the store was built (None: never completely built)."""
        return self.meta.get("input")

    def build(self, input_key: str, quads: Iterable[ox.Quad]) -> None:
        """Loads the quads into a fresh database and records ``input_key``."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._write_meta(input=None, clean=False)
        shutil.rmtree(self.database, ignore_errors=True)
        started = time.perf_counter()
        load = self.path / "load.nq"
        with load.open("wb") as out:
            ox.serialize(quads, out, format=ox.RdfFormat.N_QUADS)
        try:
            in_fresh_process("load", str(self.path), str(load), input_key)
        finally:
            load.unlink(missing_ok=True)
        self.meta = self._read_meta()
        elapsed = time.perf_counter() - started
        log.info(
            "loaded %d quads into %s in %.1f s",
            sum(self.graph_sizes().values()),
            self.path,
            elapsed,
        )

    def remeasure(self) -> None:
        """Recounts graph sizes after a write that stopped before recording them."""
        in_fresh_process("measure", str(self.path))
        self.meta = self._read_meta()

    def reader(self) -> ox.Store:
        """A read-only view of the database (each query worker opens its own)."""
        return ox.Store.read_only(str(self.database))

    def worker_source(self) -> Callable[[], ox.Store]:
        return self.reader  # opened by each worker after its fork (RocksDB must not be forked)

    def graph_sizes(self) -> dict[str, int]:
        return dict(self.meta.get("sizes", {}))

    def union_size(self) -> int:
        return int(self.meta.get("union", 0))

    def quads(self) -> list[ox.Quad]:
        store = self.reader()
        try:
            return list(store)
        finally:
            del store

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        store = self.reader()
        try:
            return whole_graph(store, graph)
        finally:
            del store

    def _write(self, change: Callable[[ox.Store], None]) -> None:
        if self.pool is None:
            self._commit(change)
            return
        with self.pool.exclusive():
            self._commit(change)

    def _commit(self, change: Callable[[ox.Store], None]) -> None:
        self._write_meta(clean=False)
        try:
            writer = ox.Store(str(self.database))
        except OSError as exc:  # another process holds the lock: a server fault, not the client's
            raise StoreError(f"the disk store cannot be opened for writing: {exc}") from exc
        try:
            change(writer)  # one transaction: all of it or nothing survives a crash
            writer.flush()
            measured = measured_sizes(writer)
        finally:
            del writer
        self._write_meta(clean=True, **measured)

    def replace_graphs(self, graphs: Mapping[str, Sequence[ox.Quad]]) -> None:
        update = replacement_update(graphs)
        self._write(lambda writer: writer.update(update))
        self.written.update(graphs)

    def apply_update(self, update: str, base_iri: str | None = None) -> None:
        self._write(lambda writer: writer.update(update, base_iri=base_iri))


def main(argv: Sequence[str]) -> None:
    """``load PATH NQUADS INPUT_KEY`` builds the store at PATH; ``measure PATH`` recounts."""
    store = DiskStore(Path(argv[1]))
    writer = ox.Store(str(store.database))
    if argv[0] == "load":
        writer.bulk_load(path=argv[2], format=ox.RdfFormat.N_QUADS)
        writer.flush()
        writer.optimize()
        store._write_meta(input=argv[3], clean=True, **measured_sizes(writer))
    else:
        store._write_meta(clean=True, **measured_sizes(writer))


if __name__ == "__main__":
    main(sys.argv[1:])
