"""The in-memory store: queries run in its workers, and a write is seen by every worker after
it, or not at all."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from ipkg.sparql.execution import QueryRequest
from ipkg.stores import MemoryStore

G = "http://example.org/g"


def quad(i: int, graph: str = G) -> ox.Quad:
    return ox.Quad(
        ox.NamedNode(f"http://example.org/s{i}"),
        ox.NamedNode("http://example.org/p"),
        ox.Literal(str(i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.NamedNode(graph),
    )


def count(store: MemoryStore) -> int:
    outcome = store.query(QueryRequest("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "json"), 5)
    assert outcome.ok, outcome.body
    return int(json.loads(outcome.body)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def store():
    backend = MemoryStore(ox.Store())
    backend.replace_graphs({G: [quad(i) for i in range(10)]})
    backend.start(workers=2, memory_mb=256)
    yield backend
    backend.close()


def test_memory_store_reports_sizes_and_answers_through_its_workers(store):
    assert store.graph_sizes() == {G: 10}
    assert store.union_size() == 10
    assert count(store) == 10


def test_replaced_graph_is_what_every_worker_answers_from_then_on(store):
    store.replace_graphs({G: [quad(i) for i in range(25)], G + "2": [quad(1, G + "2")]})
    assert {count(store) for _ in range(6)} == {26}
    assert store.graph_sizes() == {G: 25, G + "2": 1}
    assert store.union_size() == 25  # the same triple in two graphs counts once


def test_update_is_applied_whole_or_not_at_all(store):
    store.apply_update(
        f"INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/x> <http://example.org/p> 1 }} }}"
    )
    assert count(store) == 11
    with pytest.raises(SyntaxError):
        store.apply_update(f"DROP GRAPH <{G}> ; INSERT DATA {{ nonsense }}")
    assert count(store) == 11


def test_removing_a_graph_with_an_empty_replacement(store):
    store.replace_graphs({G: []})
    assert count(store) == 0
    assert store.graph_sizes() == {}


def test_a_graph_is_read_whole_and_complete_adds_the_default_graphs_own_triples():
    other = "http://example.org/other"
    shared = quad(1)
    only_default = quad(2)
    store = ox.Store()
    store.extend([quad(0), shared, quad(3, other)])
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in (shared, only_default))
    backend = MemoryStore(store)
    assert sorted(map(str, backend.graph_quads(G))) == sorted(map(str, [quad(0), shared]))
    complete = backend.graph_quads(None)
    default_part = [q for q in complete if isinstance(q.graph_name, ox.DefaultGraph)]
    assert [q.triple for q in default_part] == [only_default.triple]
    assert len(complete) == 4
