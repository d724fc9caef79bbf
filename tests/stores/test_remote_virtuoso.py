"""The remote store against a real Virtuoso 7: queries see the dataset's graphs only, loads are
batched and idempotent and keep blank nodes whole, truncated results and slow queries are
errors, and a server on the remote store passes the W3C protocol query tests."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryRequest
from ipkg.stores import RemoteStore
from ipkg.stores.remote import Endpoint
from support.servers import RunningServer
from support.virtuoso import SMALL_MAX_ROWS, RunningVirtuoso, served_from_virtuoso

TESTS = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.virtuoso, pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")]
W3C_BASE = "http://kasei.us/2009/09/sparql/data/"
EX = "http://example.org/"
XSD_DURATION = ox.NamedNode("http://www.w3.org/2001/XMLSchema#duration")


def iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def numbered(n: int, graph: str) -> list[ox.Quad]:
    return [
        ox.Quad(iri(f"s{i}"), iri("p"), ox.Literal(str(i)), ox.NamedNode(graph)) for i in range(n)
    ]


def remote(virtuoso: RunningVirtuoso, *graphs: str) -> RemoteStore:
    endpoint = Endpoint.parse(virtuoso.store_url, user=virtuoso.user, password=virtuoso.password)
    return RemoteStore(endpoint, graphs)


def rows(store: RemoteStore, query: str, timeout: float = 30) -> list[dict]:
    outcome = store.query(QueryRequest(query, "json"), timeout)
    assert outcome.ok, outcome.body
    return json.loads(outcome.body)["results"]["bindings"]


def test_queries_see_the_datasets_graphs_not_virtuosos_own(virtuoso):
    store = remote(virtuoso, EX + "g1")
    store.load_graph(EX + "g1", numbered(10, EX + "g1"))
    assert rows(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0]["n"]["value"] == "10"
    assert store.union_size() == 10
    assert store.graph_sizes() == {EX + "g1": 10}
    everything = requests.get(
        virtuoso.sparql_url,
        params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    ).json()
    assert int(everything["results"]["bindings"][0]["n"]["value"]) > 1000  # system graphs


def test_loading_twice_gives_the_same_graph(virtuoso):
    store = remote(virtuoso, EX + "g2")
    store.load_graph(EX + "g2", numbered(50, EX + "g2"))
    store.load_graph(EX + "g2", numbered(50, EX + "g2"))
    assert store.graph_sizes() == {EX + "g2": 50}
    store.load_graph(EX + "g2", numbered(20, EX + "g2"))
    assert store.graph_sizes() == {EX + "g2": 20}


def test_batches_past_virtuosos_insert_data_limit_keep_blank_nodes_whole(virtuoso):
    graph = EX + "g3"
    quads = []
    for i in range(1500):  # 4,500 triples: INSERT DATA fails above ~1,200
        node = ox.BlankNode()
        quads += [
            ox.Quad(node, iri("index"), ox.Literal(str(i)), ox.NamedNode(graph)),
            ox.Quad(node, iri("label"), ox.Literal(f"n{i}", language="en-GB"), ox.NamedNode(graph)),
            ox.Quad(iri(f"x{i}"), iri("has"), node, ox.NamedNode(graph)),
        ]
    store = remote(virtuoso, graph)
    requests_sent = store.load_graph(graph, quads, batch=1000)
    assert requests_sent >= 5
    assert store.graph_sizes() == {graph: 4500}
    whole = rows(
        store,
        "SELECT (COUNT(DISTINCT ?b) AS ?n) { ?x <http://example.org/has> ?b . "
        "?b <http://example.org/index> ?i ; <http://example.org/label> ?l }",
    )
    assert whole[0]["n"]["value"] == "1500"


def test_language_tags_come_back_lowercased_as_pyoxigraph_writes_them(virtuoso):
    graph = EX + "g4"
    store = remote(virtuoso, graph)
    label = ox.Literal("colour", language="en-GB")
    store.load_graph(graph, [ox.Quad(iri("a"), iri("label"), label, ox.NamedNode(graph))])
    [row] = rows(store, "SELECT ?l { ?s ?p ?l }")
    assert row["l"]["xml:lang"] == label.language == "en-gb"


@pytest.mark.parametrize("form", ["SELECT ?d", "CONSTRUCT { ?s ?p ?d }"])
def test_durations_come_back_as_durations_not_virtuosos_month_counts(virtuoso, form):
    store = remote(virtuoso, EX + "durations")
    durations = ["P4Y", "P1Y2M", "P5M", "-P2Y"]
    quads = [
        ox.Quad(iri(f"d{i}"), iri("lasts"), ox.Literal(d, datatype=XSD_DURATION), iri("durations"))
        for i, d in enumerate(durations)
    ]
    store.load_graph(EX + "durations", quads)
    text = f"{form} WHERE {{ ?s ?p ?d }}"
    if form.startswith("SELECT"):
        found = [row["d"]["value"] for row in rows(store, text)]
    else:
        outcome = store.query(QueryRequest(text, "ntriples"), 30)
        assert outcome.ok, outcome.body
        found = [q.object.value for q in ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES)]
    assert sorted(found) == sorted(durations)


def test_a_graph_larger_than_virtuosos_row_cap_is_read_whole_not_cut(virtuoso):
    graph = EX + "large"
    store = remote(virtuoso, graph)
    loaded = numbered(SMALL_MAX_ROWS * 2 + 7, graph)
    store.load_graph(graph, loaded)
    assert sorted(map(str, store.quads())) == sorted(map(str, loaded))


def test_silently_truncated_result_is_an_error(virtuoso):
    graph = EX + "g5"
    store = remote(virtuoso, graph)
    store.load_graph(graph, numbered(SMALL_MAX_ROWS + 10, graph))
    outcome = store.query(QueryRequest("SELECT * { ?s ?p ?o }", "json"), 30)
    assert outcome.failure is ErrorKind.UPSTREAM
    assert b"ResultSetMaxRows" in outcome.body
    limited = store.query(QueryRequest("SELECT * { ?s ?p ?o } LIMIT 100", "csv"), 30)
    assert limited.ok and limited.rows == 100


def test_syntax_error_is_a_bad_request_with_virtuosos_message(virtuoso):
    outcome = remote(virtuoso, EX + "g1").query(QueryRequest("SELEC * { ?s ?p ?o }", "json"), 10)
    assert outcome.failure is ErrorKind.BAD_REQUEST
    assert b"syntax error" in outcome.body.lower()


def test_query_past_its_deadline_is_a_timeout(virtuoso):
    graph = EX + "g5"
    store = remote(virtuoso, graph)
    cartesian = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    outcome = store.query(QueryRequest(cartesian, "json"), timeout=1.0)
    assert outcome.failure is ErrorKind.TIMEOUT, outcome.body
    assert b"deadline" in outcome.body


def test_parameters_are_bound_as_values_not_spliced(virtuoso):
    store = remote(virtuoso, EX + "g2")
    request = QueryRequest(
        "SELECT ?o { ?s <http://example.org/p> ?o }",
        "json",
        substitutions={"s": "<http://example.org/s7>"},
    )
    outcome = store.query(request, 10)
    bindings = json.loads(outcome.body)["results"]["bindings"]
    assert [b["o"]["value"] for b in bindings] == ["7"]


# --- a server on the remote store --------------------------------------------------------


def w3c_data_args() -> list[str]:
    return [
        arg
        for n in (1, 2, 3)
        for arg in ("--data", f"{W3C_BASE}data{n}.rdf={TESTS / 'w3c' / f'data{n}.nt'}")
    ]


@pytest.fixture(scope="module")
def remote_w3c_server(virtuoso, tmp_path_factory) -> RunningServer:
    server = served_from_virtuoso(virtuoso, tmp_path_factory.mktemp("remote-w3c"), w3c_data_args())
    yield server
    server.stop()


def _query_tests():
    from web.test_w3c_protocol import PROTOCOL_TESTS

    return [pytest.param(t, id=t.name) for t in PROTOCOL_TESTS if not t.name.startswith("update_")]


@pytest.mark.parametrize("test", _query_tests())
def test_w3c_protocol_case_on_the_remote_store(remote_w3c_server, test):
    from web.test_w3c_protocol import check_response, send

    for number, req in enumerate(test.requests, start=1):
        response = send(remote_w3c_server, req)
        try:
            check_response(response, req.expected)
        except AssertionError as exc:
            raise AssertionError(f"request {number} ({req.method} {req.path}): {exc}") from exc


def test_server_on_the_remote_store_reports_the_pushed_graphs(virtuoso, remote_w3c_server):
    response = requests.get(remote_w3c_server.url + "/readyz", timeout=10).json()
    assert response["graphs"] == 3


@pytest.fixture(scope="module")
def writable_remote(virtuoso, tmp_path_factory) -> RunningServer:
    env = {"IPKG_UPDATE_TOKEN": "remote-write-token", "IPKG_QUERY_TIMEOUT": "3"}
    folder = tmp_path_factory.mktemp("remote-write")
    server = served_from_virtuoso(virtuoso, folder, w3c_data_args(), env)
    yield server
    server.stop()


def test_an_update_on_the_remote_store_stops_at_its_deadline_and_changes_nothing(
    writable_remote,
):
    graph = "http://kasei.us/2009/09/sparql/data/data1.rdf"
    count = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"

    def triples() -> int:
        answer = requests.post(writable_remote.sparql, data={"query": count}, timeout=30)
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    before = triples()
    runaway = (
        f"INSERT {{ GRAPH <{graph}> {{ ?a <http://example.org/n> ?n }} }} WHERE {{ "
        "VALUES ?x { 1 2 3 4 5 6 7 8 9 10 } VALUES ?y { 1 2 3 4 5 6 7 8 9 10 } "
        "VALUES ?z { 1 2 3 4 5 6 7 8 9 10 } VALUES ?w { 1 2 3 4 5 6 7 8 9 10 } "
        "VALUES ?v { 1 2 3 4 5 6 7 8 9 10 } VALUES ?u { 1 2 3 4 5 6 7 8 9 10 } "
        "BIND(CONCAT(STR(?x), STR(?y), STR(?z), STR(?w), STR(?v), STR(?u)) AS ?n) "
        "BIND(IRI(CONCAT('http://example.org/', ?n)) AS ?a) }"
    )
    response = requests.post(
        writable_remote.sparql,
        data={"update": runaway},
        headers={"Authorization": "Bearer remote-write-token"},
        timeout=60,
    )
    assert response.status_code == 503, response.text
    assert "deadline" in response.text or "memory" in response.text
    assert triples() == before
