"""The SPARQL protocol as ipkg speaks it, on a live server over a small TriG dataset: content
negotiation, the RDF result formats, the protocol's dataset parameters, CORS, the service
description, the read-only refusal of updates, malformed requests, and ``--data`` loading."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, VOID

from support.servers import RunningServer, free_port, start_server

EX = "http://example.org/"
G1, G2 = EX + "g1", EX + "g2"
TRIG = """\
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:root ex:label "in the default graph" .

ex:g1 {
  ex:alice ex:name "Alice"@en ;
           ex:age "42"^^xsd:integer ;
           ex:knows ex:bob ;
           ex:note "line one\\nline two, \\"quoted\\" and ünïcödé 中文" ;
           ex:address [ ex:city "Beijing" ] .
}

ex:g2 {
  ex:bob ex:name "Bob" ;
         ex:knows ex:carol .
  ex:carol ex:name "卡罗尔"@zh .
}
"""
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
SELECT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {  # media type -> rdflib parser
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
BOB_NAME = f"SELECT ?name {{ <{EX}bob> <{EX}name> ?name }}"
CONSTRUCT_ALL = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
DESCRIBE_ALICE = f"DESCRIBE <{EX}alice>"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.fixture(scope="module")
def trig_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trig") / "people.trig"
    path.write_text(TRIG, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(trig_file: Path) -> Iterator[RunningServer]:
    running = start_server(trig_file.parent, ["--data", str(trig_file)])
    yield running
    running.stop()


def get(server: RunningServer, query: str, accept: str | None = None, **params: str):
    headers = {"Accept": accept} if accept is not None else {}
    return requests.get(
        server.sparql, params={"query": query, **params}, headers=headers, timeout=30
    )


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip()


def solutions(response: requests.Response) -> list[dict[str, str]]:
    """The rows of a SELECT result in any of the four formats, as {variable: value}; TSV
    values stay in N-Triples syntax."""
    kind = media_type(response)
    text = response.content.decode("utf-8")
    if kind == SELECT_TYPES["json"]:
        data = json.loads(text)
        return [{v: b["value"] for v, b in row.items()} for row in data["results"]["bindings"]]
    if kind == SELECT_TYPES["xml"]:
        root = ET.fromstring(response.content)
        return [
            {b.get("name"): "".join(b[0].itertext()) for b in result}
            for result in root.iter(SRX + "result")
        ]
    if kind == SELECT_TYPES["csv"]:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    else:
        rows = [line.split("\t") for line in text.split("\n") if line]
    names = [name.lstrip("?") for name in rows[0]]
    return [dict(zip(names, row, strict=True)) for row in rows[1:]]


def expected_triples(trig_file: Path) -> int:
    dataset = rdflib.Dataset()
    dataset.parse(trig_file, format="trig")
    return len({(s, p, o) for s, p, o, _g in dataset.quads((None, None, None, None))})


def parse_rdf(response: requests.Response) -> rdflib.Graph:
    """The triples of an RDF response in any of the six formats, as one rdflib graph."""
    fmt = GRAPH_TYPES[media_type(response)]
    if fmt in ("trig", "nquads"):
        dataset = rdflib.Dataset()
        dataset.parse(data=response.content, format=fmt)
        graph = rdflib.Graph()
        for s, p, o, _g in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return rdflib.Graph().parse(data=response.content, format=fmt)


# --- content negotiation -----------------------------------------------------------------


@pytest.mark.parametrize("key", list(SELECT_TYPES))
def test_select_format_is_chosen_by_accept_header(server, key):
    response = get(server, BOB_NAME, accept=SELECT_TYPES[key])
    assert response.status_code == 200, response.text
    assert media_type(response) == SELECT_TYPES[key]
    expected = '"Bob"' if key == "tsv" else "Bob"
    assert solutions(response) == [{"name": expected}]


@pytest.mark.parametrize("key", list(SELECT_TYPES))
def test_select_format_is_chosen_by_format_parameter_over_accept(server, key):
    response = get(server, BOB_NAME, accept="application/sparql-results+xml;q=0.1", format=key)
    assert response.status_code == 200, response.text
    assert media_type(response) == SELECT_TYPES[key]
    assert len(solutions(response)) == 1


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("application/sparql-results+json;q=0.5, application/sparql-results+xml", "xml"),
        ("text/csv;q=0.9, text/tab-separated-values", "tsv"),
        ("text/*", "csv"),
        ("text/*;q=1.0, text/csv;q=0", "tsv"),
        ("*/*;q=0.1, text/tab-separated-values;q=0.2", "tsv"),
        ("application/*;q=0.3, text/csv;q=0.2", "json"),
        ("image/png, */*;q=0.5", "json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),
    ],
)
def test_q_values_and_wildcards_pick_the_best_select_format(server, accept, chosen):
    response = get(server, BOB_NAME, accept=accept)
    assert response.status_code == 200, response.text
    assert media_type(response) == SELECT_TYPES[chosen]


def test_no_acceptable_select_format_is_406_with_the_available_types(server):
    response = get(server, BOB_NAME, accept="image/png")
    assert response.status_code == 406
    assert media_type(response) == "text/plain"
    assert "application/sparql-results+json" in response.text
    assert "text/csv" in response.text


def test_ask_refuses_tabular_only_accept_with_406(server):
    response = get(server, "ASK {}", accept="text/csv")
    assert response.status_code == 406
    assert "application/sparql-results+xml" in response.text


def test_construct_refuses_results_media_type_with_406(server):
    response = get(server, CONSTRUCT_ALL, accept="application/sparql-results+json")
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_unknown_format_parameter_is_406_naming_the_choices(server):
    response = get(server, BOB_NAME, format="png")
    assert response.status_code == 406
    assert "png" in response.text and "json" in response.text


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (BOB_NAME, SELECT_TYPES["json"]),
        (BOB_NAME, SELECT_TYPES["xml"]),
        (BOB_NAME, SELECT_TYPES["csv"]),
        (BOB_NAME, SELECT_TYPES["tsv"]),
        ("ASK {}", SELECT_TYPES["json"]),
        ("ASK {}", SELECT_TYPES["xml"]),
        *((CONSTRUCT_ALL, media) for media in GRAPH_TYPES),
    ],
)
def test_content_type_names_utf8_charset_and_response_varies_on_accept(server, query, accept):
    response = get(server, query, accept=accept)
    assert response.status_code == 200, response.text
    assert media_type(response) == accept
    assert re.search(r";\s*charset=utf-8", response.headers["Content-Type"], re.IGNORECASE)
    assert "accept" in response.headers.get("Vary", "").lower()


# --- RDF result formats ------------------------------------------------------------------


@pytest.mark.parametrize("accept", list(GRAPH_TYPES))
def test_construct_parses_back_to_every_triple_of_the_dataset(server, trig_file, accept):
    response = get(server, CONSTRUCT_ALL, accept=accept)
    assert response.status_code == 200, response.text
    assert media_type(response) == accept
    graph = parse_rdf(response)
    assert len(graph) == expected_triples(trig_file) == 10
    assert int(response.headers["X-Result-Count"]) == len(graph)


@pytest.mark.parametrize("accept", list(GRAPH_TYPES))
def test_describe_in_every_rdf_format_is_the_same_graph_as_ntriples(server, accept):
    reference = parse_rdf(get(server, DESCRIBE_ALICE, accept="application/n-triples"))
    assert len(reference) >= 5  # alice's five properties (and her address, if included)
    response = get(server, DESCRIBE_ALICE, accept=accept)
    assert response.status_code == 200, response.text
    graph = parse_rdf(response)
    assert len(graph) == len(reference)
    assert isomorphic(graph, reference)


def test_construct_literals_survive_turtle_round_trip(server):
    graph = parse_rdf(get(server, CONSTRUCT_ALL, accept="text/turtle"))
    note = graph.value(rdflib.URIRef(EX + "alice"), rdflib.URIRef(EX + "note"))
    assert str(note) == 'line one\nline two, "quoted" and ünïcödé 中文'
    zh = graph.value(rdflib.URIRef(EX + "carol"), rdflib.URIRef(EX + "name"))
    assert (str(zh), zh.language) == ("卡罗尔", "zh")


# --- the RDF dataset of a request ---------------------------------------------------------


def _names(response: requests.Response, variable: str = "name") -> set[str]:
    assert response.status_code == 200, response.text
    return {row[variable] for row in solutions(response)}


NAMES = f"SELECT ?name {{ ?s <{EX}name> ?name }}"


def test_without_dataset_the_default_graph_is_the_union_of_all_graphs(server):
    assert _names(get(server, NAMES)) == {"Alice", "Bob", "卡罗尔"}


def test_query_from_clause_selects_the_default_graph(server):
    query = f"SELECT ?name FROM <{G1}> {{ ?s <{EX}name> ?name }}"
    assert _names(get(server, query)) == {"Alice"}


def test_default_graph_uri_replaces_the_querys_from(server):
    query = f"SELECT ?name FROM <{G1}> {{ ?s <{EX}name> ?name }}"
    assert _names(get(server, query, **{"default-graph-uri": G2})) == {"Bob", "卡罗尔"}


def test_named_graph_uri_replaces_the_querys_from_named(server):
    query = f"SELECT DISTINCT ?g FROM NAMED <{G1}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert _names(get(server, query), "g") == {G1}
    assert _names(get(server, query, **{"named-graph-uri": G2}), "g") == {G2}


def test_named_graph_uri_alone_leaves_the_default_graph_empty_like_from_named(server):
    labels = f"SELECT ?s {{ ?s <{EX}label> ?o }}"
    assert _names(get(server, labels), "s") == {EX + "root"}  # in the store's default graph
    from_named = f"SELECT ?s FROM NAMED <{G1}> {{ ?s <{EX}label> ?o }}"
    assert _names(get(server, from_named), "s") == set()
    assert _names(get(server, labels, **{"named-graph-uri": G1}), "s") == set()


def test_default_graph_uri_also_applies_to_a_form_post(server):
    response = requests.post(
        server.sparql,
        params={"default-graph-uri": G1},
        data={"query": NAMES},
        timeout=30,
    )
    assert _names(response) == {"Alice"}


# --- CORS -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"query": BOB_NAME}, {"query": "SELECT * {"}, {}],
    ids=["answer", "syntax-error", "service-description"],
)
def test_sparql_responses_allow_any_origin(server, params):
    response = requests.get(
        server.sparql, params=params, headers={"Origin": "https://example.net"}, timeout=30
    )
    assert response.headers.get("Access-Control-Allow-Origin") == "*"


def test_cors_preflight_is_answered_204_with_allowed_methods_and_headers(server):
    response = requests.options(
        server.sparql,
        headers={
            "Origin": "https://example.net",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert response.status_code == 204
    assert response.content == b""
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST"} <= methods
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- service description -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_service_description_is_negotiated_and_parses(server, accept, parser):
    response = requests.get(server.sparql, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    assert media_type(response) == accept
    assert "accept" in response.headers.get("Vary", "").lower()
    graph = rdflib.Graph().parse(data=response.content, format=parser)
    assert (rdflib.URIRef(server.sparql), RDF.type, SD.Service) in graph
    assert (rdflib.URIRef(server.sparql), SD.endpoint, rdflib.URIRef(server.sparql)) in graph


def test_service_description_for_a_browser_is_html(server):
    response = requests.get(server.sparql, headers={"Accept": BROWSER_ACCEPT}, timeout=30)
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    assert "<html" in response.text.lower()
    assert server.sparql in response.text


def test_service_description_with_nothing_acceptable_is_406(server):
    response = requests.get(server.sparql, headers={"Accept": "image/png"}, timeout=30)
    assert response.status_code == 406
    assert "text/turtle" in response.text


# --- updates and malformed requests -------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/sparql-update", f"INSERT DATA {{ <{EX}x> <{EX}y> <{EX}z> }}"),
        ("application/x-www-form-urlencoded", "update=CLEAR%20ALL"),
    ],
    ids=["direct", "form"],
)
def test_update_by_post_is_refused_403_saying_read_only(server, content_type, body):
    response = requests.post(
        server.sparql, data=body.encode(), headers={"Content-Type": content_type}, timeout=30
    )
    assert response.status_code == 403
    assert media_type(response) == "text/plain"
    assert "read-only" in response.text
    assert _names(get(server, NAMES)) == {"Alice", "Bob", "卡罗尔"}


def test_update_by_get_is_400(server):
    response = requests.get(server.sparql, params={"update": "CLEAR ALL"}, timeout=30)
    assert response.status_code == 400
    assert "POST" in response.text


def test_update_sent_as_a_query_is_400(server):
    response = get(server, "CLEAR ALL")
    assert response.status_code == 400
    assert "update" in response.text.lower()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/sparql-query", b'ASK { FILTER("\xff\xfe" = 1) }'),
        ("application/x-www-form-urlencoded", b"query=ASK%20%7B%7D\xff"),
        ("application/x-www-form-urlencoded", b"query=ASK%20%7B%22%FF%22%7D"),
    ],
    ids=["direct-raw-bytes", "form-raw-bytes", "form-percent-encoded"],
)
def test_body_that_is_not_utf8_is_400(server, content_type, body):
    response = requests.post(
        server.sparql, data=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert response.status_code == 400
    assert "UTF-8" in response.text


def test_url_query_that_is_not_utf8_is_400(server):
    response = requests.get(server.sparql + "?query=ASK%20%7B%22%FF%22%7D", timeout=30)
    assert response.status_code == 400
    assert "UTF-8" in response.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "multipart/form-data"])
def test_unsupported_content_type_is_415_naming_the_supported_ones(server, content_type):
    response = requests.post(
        server.sparql, data=b"ASK {}", headers={"Content-Type": content_type}, timeout=30
    )
    assert response.status_code == 415
    assert "application/sparql-query" in response.text


def test_direct_post_with_non_utf8_charset_is_refused(server):
    response = requests.post(
        server.sparql,
        data="ASK {}".encode("utf-16"),
        headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
        timeout=30,
    )
    assert response.status_code == 415
    assert "UTF-8" in response.text


def test_post_without_content_type_is_400(server):
    response = requests.post(server.sparql, data=b"ASK {}", timeout=30)
    assert "Content-Type" not in response.request.headers
    assert response.status_code == 400
    assert "Content-Type" in response.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(server, method):
    response = requests.request(method, server.sparql, params={"query": "ASK {}"}, timeout=30)
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert media_type(response) == "text/plain"


def test_multiple_query_parameters_are_400(server):
    response = requests.get(
        server.sparql, params=[("query", "ASK {}"), ("query", "ASK {}")], timeout=30
    )
    assert response.status_code == 400
    assert "2 'query' parameters" in response.text


def test_syntax_error_is_400_with_the_engines_position(server):
    response = get(server, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400
    assert media_type(response) == "text/plain"
    assert "syntax error" in response.text.lower()
    assert re.search(r"line \d+, column \d+", response.text)


def test_an_undeclared_prefix_is_named_in_plain_words_at_its_position(server):
    response = get(server, "SELECT * WHERE {\n  ?s rdfs:label ?o }")
    assert response.status_code == 400
    assert "at line 2, column 16: prefix 'rdfs:' is not declared" in response.text
    assert "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>" in response.text
    assert "expected one of" not in response.text and len(response.text) < 300


# --- --data loading -----------------------------------------------------------------------


def test_trig_data_keeps_its_named_graphs(server):
    query = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    response = get(server, query, format="json")
    rows = solutions(response)
    assert {row["g"]: int(row["n"]) for row in rows} == {G1: 6, G2: 3}
    only_default = "SELECT ?s { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"
    assert _names(get(server, only_default), "s") == {EX + "root"}


def test_service_description_counts_the_trig_named_graphs(server):
    response = requests.get(server.sparql, headers={"Accept": "text/turtle"}, timeout=30)
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    counts = {
        str(graph.value(named, SD.name)): graph.value(graph.value(named, SD.graph), VOID.triples)
        for named in graph.subjects(RDF.type, SD.NamedGraph)
    }
    assert {name: count.toPython() for name, count in counts.items()} == {G1: 6, G2: 3}


def test_turtle_syntax_error_stops_serve_with_one_line_naming_file_line_column(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e ex:f ex:g .\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "ipkg", "serve", "--port", str(free_port()), "--data", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "IPKG_CACHE_DIR": str(tmp_path / "cache")},
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert re.search(re.escape(str(bad)) + r":3:16\b", lines[0]), lines[0]
