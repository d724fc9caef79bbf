"""A linked-data client's whole walk on a server deployed with ``--public-base`` at the very URL
it listens on: from ``/id/cnipa``, only ``GET`` with ``Accept: text/turtle``, following every IRI
under the base it meets. Every IRI must dereference to a document about itself, and nothing the
service emits (SPARQL results, saved queries, dumps) may name the canonical host."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag

import pyoxigraph as ox
import pytest
import requests

from support.servers import RunningServer, free_port, start_server

pytestmark = pytest.mark.slow

CANONICAL = "https://ipkg.example.org/"
OWL_VERSION_IRI = "http://www.w3.org/2002/07/owl#versionIRI"


@dataclass
class Walk:
    """What the crawler saw: the RDF document per IRI, the IRIs answered with a document in
    another format (e.g. the article's plain text), and those that did not dereference."""

    documents: dict[str, list[ox.Triple]] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    stuck: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The article graph, deployed at the URL the server listens on."""
    port = free_port()
    public = f"http://127.0.0.1:{port}/"
    server = start_server(tmp_path_factory.mktemp("deployed"), ["--public-base", public], port=port)
    yield server
    server.stop()


def turtle(session: requests.Session, url: str) -> requests.Response:
    return session.get(url, headers={"Accept": "text/turtle"}, timeout=60)


def iris_under(base: str, triples: list[ox.Triple]) -> set[str]:
    """Every IRI of the triples that lies under ``base``, without its fragment."""
    terms = (t for triple in triples for t in (triple.subject, triple.predicate, triple.object))
    return {
        urldefrag(t.value)[0]
        for t in terms
        if isinstance(t, ox.NamedNode) and t.value.startswith(base)
    }


def walk(base: str, start: str) -> Walk:
    seen = Walk()
    session = requests.Session()
    queue, queued = deque([start]), {start}
    while queue:
        iri = queue.popleft()
        response = turtle(session, iri)
        kind = response.headers.get("Content-Type", "")
        if not response.ok:
            seen.stuck[iri] = f"{response.status_code} {kind}"
            continue
        if not kind.startswith("text/turtle"):
            seen.other[iri] = kind
            continue
        triples = [q.triple for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)]
        seen.documents[iri] = triples
        for found in sorted(iris_under(base, triples) - queued):
            queued.add(found)
            queue.append(found)
    return seen


@pytest.fixture(scope="module")
def crawl(deployed: RunningServer) -> Walk:
    return walk(deployed.url + "/", deployed.url + "/id/cnipa")


def test_crawl_from_cnipa_dereferences_every_dataset_iri_it_meets(crawl):
    assert not crawl.stuck, f"{len(crawl.stuck)} stuck: {sorted(crawl.stuck.items())[:10]}"
    assert len(crawl.documents) >= 100


def test_only_source_documents_answer_in_another_format(crawl):
    source = "http://purl.org/dc/terms/source"
    sources = {
        t.object.value
        for triples in crawl.documents.values()
        for t in triples
        if t.predicate.value == source
    }
    assert set(crawl.other) <= sources, crawl.other


EVERY_IRI = """SELECT DISTINCT ?x WHERE {
  { ?x ?p ?o } UNION { ?s ?x ?o } UNION { ?s ?p ?x }
  FILTER(isIRI(?x) && STRSTARTS(STR(?x), ?base))
}"""


def test_crawl_reaches_every_iri_of_the_data(crawl, deployed):
    """Every IRI under the base in the data and the ontology; the saved queries' IRIs (under
    api/, in the catalogue graph) are the API's, not linked from the data."""
    base = deployed.url + "/"
    r = requests.post(
        deployed.sparql,
        data={"query": EVERY_IRI.replace("?base", f'"{base}"')},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    every = {urldefrag(row["x"]["value"])[0] for row in r.json()["results"]["bindings"]}
    data = {iri for iri in every if not iri.startswith(base + "api/")}
    assert len(data) >= 100
    assert data <= set(crawl.documents) | set(crawl.other), sorted(data - set(crawl.documents))


def test_crawl_reaches_every_kind_of_resource(crawl, deployed):
    base = deployed.url + "/"
    reached = set(crawl.documents)
    for kind in ("id/article/s", "id/stat", "id/period/", "id/post/", "id/measure/", "ontology"):
        assert any(iri.startswith(base + kind) for iri in reached), kind


def test_each_document_describes_the_iri_asked_for(crawl):
    """The IRI is a subject of its document, or a version IRI of the ontology described."""
    off_topic = []
    for iri, triples in crawl.documents.items():
        subjects = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
        versions = {t.object.value for t in triples if t.predicate.value == OWL_VERSION_IRI}
        if iri not in subjects | versions:
            off_topic.append(iri)
    assert not off_topic, off_topic[:10]


def test_every_hash_iri_met_is_described_by_the_ontology_document(crawl, deployed):
    ontology = deployed.url + "/ontology"
    met = {
        t.value
        for triples in crawl.documents.values()
        for triple in triples
        for t in (triple.subject, triple.predicate, triple.object)
        if isinstance(t, ox.NamedNode) and t.value.startswith(ontology + "#")
    }
    described = {t.subject.value for t in crawl.documents[ontology]}
    assert len(met) > 20
    assert met <= described, sorted(met - described)[:10]


def test_no_canonical_iri_in_anything_the_crawler_read(crawl):
    leaked = {iri for triples in crawl.documents.values() for iri in iris_under(CANONICAL, triples)}
    assert not leaked, sorted(leaked)[:10]


def test_an_iri_pasted_from_the_browser_is_a_saved_query_parameter(deployed):
    organisation = deployed.url + "/id/cnipa"
    r = requests.get(
        deployed.url + "/api/queries/staff-of-organisation",
        params={"organisation": organisation},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    assert rows, "the deployed spelling of cnipa answers"
    assert {row["organisation"]["value"] for row in rows} == {organisation}
    assert CANONICAL not in r.text


def test_sparql_results_use_the_deployed_iris_only(deployed):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    r = requests.post(
        deployed.sparql,
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) > 1000
    assert CANONICAL not in r.text
    assert deployed.url + "/id/cnipa" in r.text


def test_describe_of_a_deployed_iri_answers_in_the_deployed_spelling(deployed):
    iri = deployed.url + "/id/cnipa"
    query, accept = {"query": f"DESCRIBE <{iri}>"}, {"Accept": "text/turtle"}
    r = requests.post(deployed.sparql, data=query, headers=accept, timeout=60)
    triples = [q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)]
    assert any(t.subject.value == iri for t in triples)
    assert not iris_under(CANONICAL, triples)


def test_the_canonical_spelling_matches_nothing(deployed):
    query = f"ASK {{ <{CANONICAL}id/cnipa> ?p ?o }}"
    r = requests.get(
        deployed.sparql,
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert r.json()["boolean"] is False


def test_dumps_use_the_deployed_iris_only(deployed):
    for extension in ("nq", "trig", "ttl", "nt", "jsonld", "rdf"):
        path = f"/export/complete.{extension}"
        r = requests.get(deployed.url + path, timeout=120)
        assert r.status_code == 200, path
        assert CANONICAL not in r.text, path
        assert deployed.url + "/id/cnipa" in r.text, path


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/.well-known/void", "text/turtle"),
        ("/sparql", "text/turtle"),  # the service description
        ("/context.jsonld", "application/ld+json"),
        ("/export/queries.ttl", "text/turtle"),  # the saved-query catalogue graph
        ("/api/queries", "application/json"),
        ("/ontology", "text/turtle"),
        ("/doc/zhang-zhicheng", "text/html"),
        ("/doc/zhang-zhicheng.jsonld", "application/ld+json"),
        ("/doc/zhang-zhicheng.nt", "application/n-triples"),
        ("/doc/zhang-zhicheng.rdf", "application/rdf+xml"),
    ],
)
def test_descriptions_name_the_deployed_iris_only(deployed, path, accept):
    r = requests.get(deployed.url + path, headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200
    assert CANONICAL not in r.text
    assert deployed.url + "/" in r.text


def test_why_explains_an_inference_in_the_deployed_spelling(deployed):
    base = deployed.url + "/"
    triple = {
        "s": f"<{base}id/zhang-zhicheng>",
        "p": f"<{base}ontology#worksFor>",
        "o": f"<{base}id/cnipa>",
    }
    r = requests.get(deployed.url + "/why", params=triple, timeout=60)
    assert r.status_code == 200
    assert CANONICAL not in r.text
    assert "rule" in r.text.lower()
