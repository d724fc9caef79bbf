"""The engine that answers (pyoxigraph) gives the same results as rdflib's SPARQL engine on
every saved query of the article graph."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from ipkg.build.cache import InferenceCache
from ipkg.build.dataset import article_quads, store_of
from ipkg.build.sources import ArticleSources
from ipkg.build.terms import rdflib_graph, to_rdflib
from ipkg.namespaces import Namespaces
from ipkg.sparql.execution import QueryRequest, run_query

pytestmark = pytest.mark.slow  # runs every saved query on two engines

SOURCES = ArticleSources.embedded()
QUERIES = sorted(SOURCES.queries.glob("*.rq"))


@pytest.fixture(scope="module")
def engines(inference_cache: InferenceCache) -> tuple[ox.Store, rdflib.Graph]:
    cache = inference_cache
    quads = article_quads(SOURCES, Namespaces(), cache=cache)
    return store_of(quads), rdflib_graph(quads)


def comparable(term: rdflib.term.Node | None) -> object:
    """A term in a form both engines agree on: numbers by value, blank nodes as one token."""
    if term is None:
        return None
    if isinstance(term, rdflib.BNode):
        return "_:b"
    if (
        isinstance(term, rdflib.Literal)
        and term.datatype
        and str(term.datatype).startswith("http://www.w3.org/2001/XMLSchema#")
    ):
        try:
            return round(Decimal(str(term)), 9)
        except InvalidOperation:
            return (str(term), str(term.datatype))
    return term


def oxigraph_rows(store: ox.Store, text: str) -> list[tuple] | bool:
    result = run_query(store, QueryRequest(text, "json"))
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return sorted(
            tuple(repr(comparable(to_rdflib(s[n]) if s[n] else None)) for n in names)
            for s in result
        )
    return sorted(
        tuple(repr(comparable(to_rdflib(t))) for t in triple)
        for triple in ((x.subject, x.predicate, x.object) for x in result)
    )


def rdflib_rows(graph: rdflib.Graph, text: str) -> list[tuple] | bool:
    result = graph.query(text)
    if result.type == "ASK":
        return bool(result.askAnswer)
    if result.type == "SELECT":
        names = [str(v) for v in result.vars]
        return sorted(
            tuple(repr(comparable(row[n] if n in row.labels else None)) for n in names)
            for row in result
        )
    return sorted(tuple(repr(comparable(t)) for t in triple) for triple in result.graph)


def test_there_are_saved_queries_to_compare():
    assert len(QUERIES) >= 15


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_pyoxigraph_and_rdflib_agree_on_saved_query(engines, path: Path):
    store, graph = engines
    text = path.read_text(encoding="utf-8")
    assert oxigraph_rows(store, text) == rdflib_rows(graph, text)
