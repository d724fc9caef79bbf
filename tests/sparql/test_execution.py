"""Query execution turns every failure of the engine into an outcome of its kind, never an exception
that would end a query worker."""

from __future__ import annotations

import pyoxigraph as ox

from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryRequest, execute


def test_substituting_a_variable_outside_the_projection_is_a_bad_request_not_a_crash():
    outcome = execute(
        ox.Store(),
        QueryRequest(
            "SELECT ?p { ?x ?p ?o FILTER(?x = <http://example.org/y>) }",
            "json",
            substitutions={"x": "<http://example.org/x>"},
        ),
    )
    assert outcome.failure is ErrorKind.BAD_REQUEST
    assert b"?x" in outcome.body


def test_a_syntax_error_is_a_bad_request_naming_the_position():
    outcome = execute(ox.Store(), QueryRequest("SELECT * { ?s ?p }", "json"))
    assert outcome.failure is ErrorKind.BAD_REQUEST
    assert outcome.body.startswith(b"SPARQL syntax error")


def test_graphs_kept_apart_are_out_of_the_default_graph_but_reached_by_graph():
    store = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    for name in ("data", "more", "catalogue"):
        graph = ox.NamedNode(f"http://example.org/graph/{name}")
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/{name}"), p, ox.Literal(name), graph))
    apart = ("http://example.org/graph/catalogue",)

    def values(query: str, **options) -> set[str]:
        outcome = execute(store, QueryRequest(query, "csv", **options))
        assert outcome.ok
        return set(outcome.body.decode().split()[1:])

    everything = "SELECT ?o { ?s ?p ?o }"
    assert values(everything) == {"data", "more", "catalogue"}
    assert values(everything, apart_graphs=apart) == {"data", "more"}
    in_graphs = "SELECT ?o { GRAPH ?g { ?s ?p ?o } }"
    assert values(in_graphs, apart_graphs=apart) == {"data", "more", "catalogue"}
    named = "SELECT ?o FROM <http://example.org/graph/catalogue> { ?s ?p ?o }"
    assert values(named, apart_graphs=apart, union_default_graph=False) == {"catalogue"}


def test_a_legal_query_calling_a_function_the_engine_lacks_is_unsupported_not_bad_request():
    outcome = execute(ox.Store(), QueryRequest("SELECT (<http://example/f>(1) AS ?x) {}", "json"))
    assert outcome.failure is ErrorKind.UNSUPPORTED
    assert b"<http://example/f>" in outcome.body
