"""The W3C SPARQL 1.1 Protocol test suite, run against a live ipkg server.

The test cases are read from ``tests/w3c/manifest.ttl`` (not retyped): one pytest test per
``mf:entries`` entry, each sending its ``ht:Request``s in order and checking every ``ht:resp``
(status class, result format, boolean). On the read-only server the ``update_*`` cases are
skipped and the ``bad_update_*`` cases must be refused with a 4xx; on a second server with an
update token all 34 cases run, every request carrying the bearer token.

The three service-description tests of ``service-description-manifest.ttl`` carry only names,
so each is implemented here as a check on ``GET /sparql``.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib.collection import Collection
from rdflib.namespace import RDF, VOID

from support.servers import RunningServer

W3C = Path(__file__).resolve().parent.parent / "w3c"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SRX = "{http://www.w3.org/2005/sparql-results#}"
GRAPH_BASE = "http://kasei.us/2009/09/sparql/data/"
pytestmark = [
    pytest.mark.slow,  # the W3C suite
    pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib"),
]

# Media types by the kind of result the manifest expects, and how rdflib reads each RDF one.
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


@dataclass(frozen=True)
class ExpectedResponse:
    status_classes: frozenset[int]  # 2 for hts:StatusCode2xx, ...
    format: str | None
    boolean: bool | None


@dataclass(frozen=True)
class ManifestRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected: ExpectedResponse


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    requests: tuple[ManifestRequest, ...]


def _local(node: rdflib.term.Node) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _status_class(code: rdflib.term.Node) -> int:
    name = _local(code)  # "StatusCode2xx"
    assert name.startswith("StatusCode") and name.endswith("xx"), name
    return int(name[len("StatusCode")])


def _endpoint_path(absolute_path: str) -> str:
    """The manifest's ``/sparql/...`` paths, rewritten for ipkg's ``/sparql``."""
    assert absolute_path.startswith("/sparql/"), absolute_path
    return "/sparql" + absolute_path[len("/sparql/") :]


def _items(graph: rdflib.Graph, head: rdflib.term.Node | None) -> list[rdflib.term.Node]:
    return list(Collection(graph, head)) if head is not None else []


def _request(graph: rdflib.Graph, node: rdflib.term.Node) -> ManifestRequest:
    headers = tuple(
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in _items(graph, graph.value(node, HT.headers))
    )
    body = None
    content = graph.value(node, HT.body)
    if content is not None:
        encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(content, CNT.chars)).encode(encoding)
    resp = graph.value(node, HT.resp)
    boolean = graph.value(resp, MF.expectedBoolean)
    fmt = graph.value(resp, MF.expectedFormat)
    expected = ExpectedResponse(
        frozenset(_status_class(c) for c in graph.objects(resp, MF.expectedStatus)),
        str(fmt) if fmt is not None else None,
        boolean.toPython() if boolean is not None else None,
    )
    return ManifestRequest(
        method=str(graph.value(node, HT.methodName)),
        path=_endpoint_path(str(graph.value(node, HT.absolutePath))),
        headers=headers,
        body=body,
        expected=expected,
    )


def load_manifest(path: Path) -> list[ProtocolTest]:
    """Every entry of the manifest, in the order of its ``mf:entries`` list."""
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest, any=False)
    tests = []
    for entry in _items(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        nodes = _items(graph, graph.value(action, HT.requests))
        tests.append(ProtocolTest(_local(entry), tuple(_request(graph, n) for n in nodes)))
    return tests


PROTOCOL_TESTS = load_manifest(W3C / "manifest.ttl")


def _param(test: ProtocolTest):
    return pytest.param(test, id=test.name)


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def read_boolean(response: requests.Response) -> bool:
    """The value of a SPARQL JSON or XML boolean result; fails on anything else."""
    kind = media_type(response)
    assert kind in BOOLEAN_TYPES, f"not a boolean result format: {kind}"
    if kind == "application/sparql-results+json":
        value = json.loads(response.content)["boolean"]
        assert isinstance(value, bool), value
        return value
    root = ET.fromstring(response.content)
    assert root.tag == SRX + "sparql"
    element = root.find(SRX + "boolean")
    assert element is not None and element.text in ("true", "false"), response.text
    return element.text == "true"


def check_tabular(response: requests.Response) -> None:
    """Fails unless the body is a SPARQL JSON/XML/CSV/TSV solution sequence."""
    kind = media_type(response)
    assert kind in TABULAR_TYPES, f"not a tabular result format: {kind}"
    if kind == "application/sparql-results+json":
        data = json.loads(response.content)
        assert isinstance(data["head"]["vars"], list)
        assert isinstance(data["results"]["bindings"], list)
    elif kind == "application/sparql-results+xml":
        root = ET.fromstring(response.content)
        assert root.find(SRX + "head") is not None
        assert root.find(SRX + "results") is not None
    else:
        text = response.content.decode("utf-8")
        if kind == "text/csv":
            rows = list(csv.reader(io.StringIO(text, newline="")))
        else:  # TSV escapes tabs and newlines inside terms, so lines and tabs split it
            rows = [line.split("\t") for line in text.split("\n") if line]
        assert rows and rows[0] and all(rows[0]), "no header row"
        assert all(len(row) == len(rows[0]) for row in rows)


def check_rdf(response: requests.Response) -> rdflib.Dataset:
    """Parses an RDF body with rdflib; fails if it is not RDF."""
    kind = media_type(response)
    assert kind in RDF_TYPES, f"not an RDF format: {kind}"
    dataset = rdflib.Dataset()
    dataset.parse(data=response.content, format=RDF_TYPES[kind])
    return dataset


def send(server: RunningServer, req: ManifestRequest) -> requests.Response:
    return requests.request(
        req.method,
        server.url + req.path,
        headers=dict(req.headers),
        data=req.body,
        allow_redirects=False,
        timeout=30,
    )


def check_response(response: requests.Response, expected: ExpectedResponse) -> None:
    status_class = response.status_code // 100
    assert status_class in expected.status_classes, (
        f"status {response.status_code} not in {sorted(expected.status_classes)}xx: "
        f"{response.text[:300]}"
    )
    if status_class == 3:
        assert response.headers.get("Location"), "a redirect without a Location"
        return
    if expected.format == "boolean":
        value = read_boolean(response)
        if expected.boolean is not None:
            assert value is expected.boolean
    elif expected.format == "tabular":
        check_tabular(response)
    elif expected.format == "RDF":
        check_rdf(response)
    else:
        assert expected.format is None, f"unknown mf:expectedFormat {expected.format}"
        assert expected.boolean is None


def test_manifest_lists_the_protocol_suite():
    names = [t.name for t in PROTOCOL_TESTS]
    assert len(names) == 34
    assert len(set(names)) == len(names)
    assert all(t.requests for t in PROTOCOL_TESTS)
    assert sum(n.startswith("bad_update_") for n in names) == 6
    assert sum(n.startswith("update_") for n in names) == 7


@pytest.mark.parametrize("test", [_param(t) for t in PROTOCOL_TESTS])
def test_w3c_protocol_case_gets_the_expected_responses(
    w3c_server: RunningServer, test: ProtocolTest
):
    if test.name.startswith("update_"):
        # Read-only by default: the update is refused and says so (with a token configured,
        # test_w3c_protocol_case_with_updates_enabled below runs these cases in full).
        response = send(w3c_server, test.requests[0])
        assert response.status_code == 403, response.text
        assert "read-only" in response.text
        return
    for number, req in enumerate(test.requests, start=1):
        response = send(w3c_server, req)
        try:
            check_response(response, req.expected)
        except AssertionError as exc:
            raise AssertionError(f"request {number} ({req.method} {req.path}): {exc}") from exc


@pytest.mark.parametrize("test", [pytest.param(t, id=t.name) for t in PROTOCOL_TESTS])
def test_w3c_protocol_case_with_updates_enabled(
    w3c_update_server: RunningServer, w3c_update_token: str, test
):
    """All 34 cases, updates included, on a server with a token; each request carries it."""
    bearer = ("Authorization", f"Bearer {w3c_update_token}")
    for number, req in enumerate(test.requests, start=1):
        authorised = replace(req, headers=(*req.headers, bearer))
        response = send(w3c_update_server, authorised)
        try:
            check_response(response, req.expected)
        except AssertionError as exc:
            raise AssertionError(f"request {number} ({req.method} {req.path}): {exc}") from exc


# --- service description (service-description-manifest.ttl) -------------------------------


def _service_description_names() -> list[str]:
    graph = rdflib.Graph().parse(W3C / "service-description-manifest.ttl", format="turtle")
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest, any=False)
    return [_local(e) for e in _items(graph, graph.value(manifest, MF.entries))]


def test_service_description_manifest_names_the_three_cases_implemented_here():
    assert _service_description_names() == [
        "has-endpoint-triple",
        "returns-rdf",
        "conforms-to-schema",
    ]


def _description(server: RunningServer) -> tuple[requests.Response, rdflib.Graph]:
    response = requests.get(server.sparql, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/turtle"
    return response, rdflib.Graph().parse(data=response.content, format="turtle")


def test_sd_returns_rdf(w3c_server: RunningServer):
    _response, graph = _description(w3c_server)
    assert len(graph) > 0


def test_sd_has_endpoint_triple_naming_the_url_requested(w3c_server: RunningServer):
    _response, graph = _description(w3c_server)
    endpoints = set(graph.objects(None, SD.endpoint))
    assert endpoints == {rdflib.URIRef(w3c_server.sparql)}


def _file_triple_counts() -> dict[str, int]:
    return {
        f"{GRAPH_BASE}data{n}.rdf": len(rdflib.Graph().parse(W3C / f"data{n}.nt", format="nt"))
        for n in (1, 2, 3)
    }


def test_sd_conforms_to_schema_with_true_triple_counts(w3c_server: RunningServer):
    _response, graph = _description(w3c_server)
    services = set(graph.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    service = services.pop()
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert set(graph.objects(service, SD.resultFormat)) >= {
        rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON"),
        rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_XML"),
        rdflib.URIRef("http://www.w3.org/ns/formats/Turtle"),
    }
    dataset = graph.value(service, SD.defaultDataset)
    assert dataset is not None and (dataset, RDF.type, SD.Dataset) in graph
    default = graph.value(dataset, SD.defaultGraph)
    assert default is not None and (default, RDF.type, SD.Graph) in graph

    expected = _file_triple_counts()
    union = set()
    for n in (1, 2, 3):
        union |= set(rdflib.Graph().parse(W3C / f"data{n}.nt", format="nt"))
    assert graph.value(default, VOID.triples).toPython() == len(union)

    described = {}
    for named in graph.objects(dataset, SD.namedGraph):
        assert (named, RDF.type, SD.NamedGraph) in graph
        inner = graph.value(named, SD.graph)
        assert (inner, RDF.type, SD.Graph) in graph
        described[str(graph.value(named, SD.name))] = graph.value(inner, VOID.triples).toPython()
    assert described == expected
