"""Resource pages, explanations, the article and ontology pages, the VoID description and the
dumps are the same on the disk store and on a remote Virtuoso as on the in-memory store, whose
pages and dumps the tests in tests/web/ check in detail."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import requests
from rdflib import Graph
from rdflib.compare import to_isomorphic

from support.servers import RunningServer

pytestmark = pytest.mark.slow  # builds the disk store and reads every page and dump of three stores

STORES = ("disk", pytest.param("remote", marks=pytest.mark.virtuoso))
GRAPHS = ("ontology", "asserted", "inferred", "complete")
SUBJECTS = """SELECT DISTINCT ?s FROM <https://ipkg.example.org/graph/asserted>
WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), "https://ipkg.example.org/id/")) } ORDER BY ?s"""
INFERRED = """SELECT ?s ?p ?o FROM <https://ipkg.example.org/graph/inferred>
WHERE { ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?s), "https://ipkg.example.org/id/")) }
ORDER BY ?s ?p ?o"""


@pytest.fixture(params=STORES)
def other(request: pytest.FixtureRequest) -> RunningServer:
    """The article served from a store other than memory."""
    return request.getfixturevalue(f"{request.param}_server")


def rows(server: RunningServer, query: str) -> list[dict]:
    response = requests.get(server.url + "/sparql", params={"query": query}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def page(server: RunningServer, path: str, accept: str = "text/html") -> str:
    response = requests.get(server.url + path, headers={"Accept": accept}, timeout=60)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
    return response.text


def same_page(memory_server: RunningServer, other: RunningServer, path: str) -> None:
    expected = page(memory_server, path).replace(memory_server.url, "")
    assert page(other, path).replace(other.url, "") == expected, path


def test_every_resource_page_is_the_memory_stores_page(memory_server, other):
    subjects = [row["s"]["value"] for row in rows(memory_server, SUBJECTS)]
    assert len(subjects) > 100
    for iri in subjects:
        path = "/doc/" + iri.removeprefix("https://ipkg.example.org/id/")
        same_page(memory_server, other, path)


def test_explanations_of_inferred_triples_are_the_memory_stores(memory_server, other):
    found = rows(memory_server, INFERRED)
    assert len(found) > 100
    for row in found[:: len(found) // 25]:
        s, p, o = (quote(f"<{row[k]['value']}>", safe="") for k in "spo")
        same_page(memory_server, other, f"/why?s={s}&p={p}&o={o}")


@pytest.mark.parametrize("path", ["/article", "/ontology", "/id/", "/"])
def test_site_pages_are_the_memory_stores(memory_server, other, path):
    same_page(memory_server, other, path)


def test_void_description_counts_the_same_triples(memory_server, other):
    def counts(server: RunningServer) -> list[str]:
        text = page(server, "/.well-known/void", accept="text/turtle")
        return sorted(re.findall(r"void:triples (\d+)", text))

    assert counts(other) == counts(memory_server)
    assert counts(memory_server)


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize(("extension", "format"), [("nt", "nt"), ("ttl", "turtle")])
def test_dump_is_the_memory_stores_graph(memory_server, other, graph, extension, format):
    def dumped(server: RunningServer):
        text = page(server, f"/export/{graph}.{extension}", accept="*/*")
        return to_isomorphic(Graph().parse(data=text, format=format))

    expected = dumped(memory_server)
    assert len(expected) > 400  # the inferred graph, cleaned, is the smallest
    assert dumped(other) == expected
