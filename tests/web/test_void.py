"""The VoID description at /.well-known/void: counts that match the service, classes and
properties with partitions, example resources and dumps that resolve, endpoint, licence and
source."""

from __future__ import annotations

import pytest
import rdflib
import requests
from rdflib.namespace import DCTERMS, VOID

IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")


@pytest.fixture(scope="module")
def void(article_server) -> tuple[rdflib.Graph, rdflib.URIRef]:
    r = requests.get(
        article_server.url + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=30
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=r.text, format="turtle")
    dataset = rdflib.URIRef(article_server.url + "/.well-known/void#dataset")
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in graph
    return graph, dataset


def test_triple_count_matches_the_service(article_server, void):
    graph, me = void
    ready = requests.get(article_server.url + "/readyz", timeout=30).json()
    assert int(graph.value(me, VOID.triples)) == ready["triples"]
    subsets = list(graph.objects(me, VOID.subset))
    assert len(subsets) == 3
    assert all(int(graph.value(s, VOID.triples)) > 0 for s in subsets)


def test_classes_and_properties_are_counted_with_partitions(void):
    graph, me = void
    assert int(graph.value(me, VOID.classes)) > 10
    assert int(graph.value(me, VOID.properties)) > 10
    classes = {graph.value(p, VOID["class"]) for p in graph.objects(me, VOID.classPartition)}
    assert IPKG.Person in classes and IPKG.Statistic in classes
    properties = {graph.value(p, VOID.property) for p in graph.objects(me, VOID.propertyPartition)}
    assert IPKG.holdsPost in properties


def test_endpoint_licence_and_source_are_given(article_server, void):
    graph, me = void
    assert graph.value(me, VOID.sparqlEndpoint) == rdflib.URIRef(article_server.url + "/sparql")
    assert graph.value(me, DCTERMS.license) is not None
    sources = set(graph.objects(me, DCTERMS.source))
    assert rdflib.URIRef("https://ipkg.example.org/id/article") in sources


def test_dumps_and_example_resources_resolve(article_server, void):
    graph, me = void
    dumps = list(graph.objects(me, VOID.dataDump))
    assert len(dumps) == 6
    for dump in dumps:
        assert requests.head(str(dump), timeout=60).status_code == 200, dump
    examples = list(graph.objects(me, VOID.exampleResource))
    assert examples
    for example in examples:
        path = str(example).removeprefix("https://ipkg.example.org")
        r = requests.get(article_server.url + path, allow_redirects=False, timeout=30)
        assert r.status_code == 303, example


def test_void_is_also_html_for_browsers(article_server):
    r = requests.get(
        article_server.url + "/.well-known/void", headers={"Accept": "text/html"}, timeout=30
    )
    assert r.headers["Content-Type"].startswith("text/html")
    assert "void:Dataset" in r.text


SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
CATALOGUE = "https://ipkg.example.org/graph/queries"


def _classes(server, query: str) -> set[str]:
    r = requests.get(
        server.url + "/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return {b["c"]["value"] for b in r.json()["results"]["bindings"]}


def test_the_saved_query_catalogue_is_a_named_graph_outside_the_default_graph(article_server):
    in_default = _classes(article_server, "SELECT DISTINCT ?c { ?s a ?c }")
    assert str(IPKG.Statistic) in in_default
    assert not {c for c in in_default if c.startswith(str(SH))}
    in_catalogue = _classes(
        article_server, f"SELECT DISTINCT ?c {{ GRAPH <{CATALOGUE}> {{ ?s a ?c }} }}"
    )
    assert str(SH.SPARQLSelectExecutable) in in_catalogue


def test_void_describes_the_catalogue_beside_the_dataset_not_in_it(void):
    graph, me = void
    catalogue = next(graph.subjects(SD.name, rdflib.URIRef(CATALOGUE)))
    assert catalogue not in set(graph.objects(me, VOID.subset))
    assert (me, rdflib.RDFS.seeAlso, catalogue) in graph
    assert int(graph.value(catalogue, VOID.triples)) > 0
    assert "GRAPH" in str(graph.value(catalogue, DCTERMS.description))


def test_service_description_says_the_default_graph_leaves_the_catalogue_out(article_server):
    r = requests.get(article_server.url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30)
    graph = rdflib.Graph().parse(data=r.text, format="turtle")
    service = next(graph.subjects(rdflib.RDF.type, SD.Service))
    assert (service, SD.feature, SD.UnionDefaultGraph) not in graph
    default = graph.value(graph.value(service, SD.defaultDataset), SD.defaultGraph)
    assert CATALOGUE in str(graph.value(default, DCTERMS.description))
    names = {str(graph.value(n, SD.name)) for n in graph.objects(None, SD.namedGraph)}
    assert CATALOGUE in names
