"""The VoID description at /.well-known/void: counts that match the service, classes and
properties with partitions, example resources and dumps that resolve, endpoint, licence and
source."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.namespace import DCTERMS, VOID

from ipkg.linkeddata.dumps import VIEWS
from support.servers import listed_dumps

IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
SD_NAME = rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#name")
FORMATS = {  # the W3C format IRI of each dump extension
    "ttl": "Turtle",
    "jsonld": "JSON-LD",
    "nt": "N-Triples",
    "rdf": "RDF_XML",
    "trig": "TriG",
    "nq": "N-Quads",
}


def n_triples_count(server, graph: str) -> int:
    body = requests.get(f"{server.url}/export/{graph}.nt", timeout=60).content
    return len({q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)})


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
    graphs = set(listed_dumps(article_server)) - set(VIEWS)
    assert len(subsets) == len(graphs) - 1  # all but "complete"; views are subsets of graphs
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


def test_void_says_the_catalogue_subset_is_not_in_the_default_graph(void):
    graph, me = void
    catalogue = next(graph.subjects(SD.name, rdflib.URIRef(CATALOGUE)))
    assert catalogue in set(graph.objects(me, VOID.subset))
    assert int(graph.value(catalogue, VOID.triples)) > 0
    assert "GRAPH" in str(graph.value(catalogue, DCTERMS.description))
    others = [s for s in graph.objects(me, VOID.subset) if s != catalogue]
    assert others and not [s for s in others if graph.value(s, DCTERMS.description)]


def test_service_description_says_the_default_graph_leaves_the_catalogue_out(article_server):
    r = requests.get(article_server.url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30)
    graph = rdflib.Graph().parse(data=r.text, format="turtle")
    service = next(graph.subjects(rdflib.RDF.type, SD.Service))
    assert (service, SD.feature, SD.UnionDefaultGraph) not in graph
    default = graph.value(graph.value(service, SD.defaultDataset), SD.defaultGraph)
    assert CATALOGUE in str(graph.value(default, DCTERMS.description))
    names = {str(graph.value(n, SD.name)) for n in graph.objects(None, SD.namedGraph)}
    assert CATALOGUE in names


def test_every_dump_on_the_export_page_is_in_void(article_server, void):
    graph, _me = void
    described = {str(d) for d in graph.objects(None, VOID.dataDump)}
    listed = listed_dumps(article_server)
    assert "queries" in listed
    urls = {f"{article_server.url}/export/{g}.{ext}" for g, exts in listed.items() for ext in exts}
    assert described == urls


def test_each_subset_counts_the_triples_of_its_dump(article_server, void):
    graph, me = void
    subsets = list(graph.objects(me, VOID.subset))
    names = {str(graph.value(s, SD_NAME)).rsplit("/", 1)[-1]: s for s in subsets}
    assert set(names) == set(listed_dumps(article_server)) - {"complete"} - set(VIEWS)
    for name, subset in names.items():
        assert int(graph.value(subset, VOID.triples)) == n_triples_count(article_server, name)
        dumps = {str(d).rsplit("/", 1)[-1] for d in graph.objects(subset, VOID.dataDump)}
        assert dumps == {f"{name}.{ext}" for ext in FORMATS}
    assert int(graph.value(me, VOID.triples)) == n_triples_count(article_server, "complete")


def test_void_features_every_format_served(article_server, void):
    graph, me = void
    features = {str(f) for f in graph.objects(me, VOID.feature)}
    served = set.union(*listed_dumps(article_server).values())
    assert features == {"http://www.w3.org/ns/formats/" + FORMATS[ext] for ext in served}


def test_void_counts_the_facts_of_each_kind_of_support(article_server, void):
    graph, me = void
    asserted = next(s for s in graph.objects(me, VOID.subset) if str(s).endswith("#asserted"))
    kinds = {
        str(graph.value(s, DCTERMS.subject)).rsplit("/", 1)[-1]: int(graph.value(s, VOID.entities))
        for s in graph.objects(asserted, VOID.subset)
        if graph.value(s, DCTERMS.subject) is not None
    }
    assert set(kinds) == {"stated", "read", "derived"}
    query = (
        "SELECT ?k (COUNT(?st) AS ?n) WHERE { ?st <https://ipkg.example.org/ontology#support> ?k }"
        " GROUP BY ?k"
    )
    answer = requests.get(
        article_server.url + "/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()["results"]["bindings"]
    counted = {r["k"]["value"].rsplit("/", 1)[-1]: int(r["n"]["value"]) for r in answer}
    assert kinds == counted and counted["read"] > 0 and counted["derived"] > 0


def test_void_lists_each_view_under_the_graph_it_is_made_from(article_server, void):
    graph, me = void
    by_name = {str(s).rsplit("#", 1)[-1]: s for s in graph.objects(me, VOID.subset)}
    for name, view in VIEWS.items():
        nested = {
            str(s).rsplit("#", 1)[-1] for s in graph.objects(by_name[view.source], VOID.subset)
        }
        assert name in nested


def test_each_view_counts_the_triples_of_its_dump(article_server, void):
    graph, me = void
    by_name = {str(s).rsplit("#", 1)[-1]: s for s in graph.objects(me, VOID.subset)}
    for name in VIEWS:
        view = next(
            s
            for s in graph.objects(by_name[VIEWS[name].source], VOID.subset)
            if str(s).endswith("#" + name)
        )
        assert int(graph.value(view, VOID.triples)) == n_triples_count(article_server, name) > 0
