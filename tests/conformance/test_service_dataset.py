"""What the default graph is (``--default-graph``), as queries see it and as the service
description says; and Graph Store bodies resolved against their graph's IRI."""

from __future__ import annotations

import pyoxigraph as ox
import requests
from conformance.services import TOKEN, ipkg

SD_UNION = "http://www.w3.org/ns/sparql-service-description#UnionDefaultGraph"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/g"


def _describes_union(url: str) -> bool:
    body = requests.get(url + "/sparql", headers={"Accept": "application/n-triples"}, timeout=30)
    return any(
        q.object == ox.NamedNode(SD_UNION)
        for q in ox.parse(body.content, format=ox.RdfFormat.N_TRIPLES)
    )


def _load(url: str) -> None:
    for params, body in (
        ({"default": ""}, "<http://e/a> <http://e/p> 1 ."),
        ({"graph": GRAPH}, "<http://e/b> <http://e/p> 2 . <> <http://e/p> 3 ."),
    ):
        put = requests.put(
            url + "/store",
            params=params,
            data=body,
            timeout=30,
            headers={"Content-Type": "text/turtle", **AUTH},
        )
        assert put.status_code in (201, 204), put.text


def _subjects(url: str) -> set[str]:
    answer = requests.post(
        url + "/sparql",
        data={"query": "SELECT ?s { ?s ?p ?o }"},
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    return set(answer.text.split()[1:])


def test_separate_default_graph_is_the_stored_one_and_not_described_as_union(memory_service):
    _load(memory_service.base)
    assert _subjects(memory_service.base) == {"http://e/a"}
    assert not _describes_union(memory_service.base)
    memory_service.loaded = None


def test_union_default_graph_merges_every_graph_and_says_so(tmp_path):
    running = ipkg(tmp_path, extra=["--default-graph", "union"], name="union")
    try:
        url = running.service.base
        _load(url)
        assert _subjects(url) == {"http://e/a", "http://e/b", GRAPH}
        assert _describes_union(url)
    finally:
        running.stop()


def test_a_graph_store_body_resolves_relative_iris_against_the_graph_iri(memory_service):
    _load(memory_service.base)
    answer = requests.get(
        memory_service.base + "/store",
        params={"graph": GRAPH},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    subjects = {q.subject.value for q in ox.parse(answer.content, format=ox.RdfFormat.N_TRIPLES)}
    assert subjects == {"http://e/b", GRAPH}
    memory_service.loaded = None
