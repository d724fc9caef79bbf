"""The W3C SPARQL 1.1 test suite read from its own manifests (``tests/w3c/sparql11``, rdf-tests
at ``ad541a5``): every test of the folders we run, as plain data, so the runner never retypes a
test. Test and file IRIs are the suite's own (``https://w3c.github.io/rdf-tests/…``) and map
onto the copied files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox

SUITE = Path(__file__).resolve().parent.parent / "w3c" / "sparql11"
SUITE_IRI = "https://w3c.github.io/rdf-tests/sparql/sparql11/"

QUERY_FOLDERS = (
    "aggregates",
    "bind",
    "bindings",
    "cast",
    "construct",
    "exists",
    "functions",
    "grouping",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
    "syntax-query",
    "csv-tsv-res",
    "json-res",
)
UPDATE_FOLDERS = (
    "add",
    "basic-update",
    "clear",
    "copy",
    "delete-data",
    "delete-insert",
    "delete-where",
    "delete",
    "drop",
    "move",
    "syntax-update-1",
    "syntax-update-2",
    "update-silent",
)
PROTOCOL_FOLDERS = ("graph-store-protocol", "service-description")
FOLDERS = (*QUERY_FOLDERS, *UPDATE_FOLDERS, *PROTOCOL_FOLDERS)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
SD_NS = "http://www.w3.org/ns/sparql-service-description#"

KINDS = {
    "QueryEvaluationTest": "query",
    "CSVResultFormatTest": "query",
    "PositiveSyntaxTest11": "positive-syntax",
    "NegativeSyntaxTest11": "negative-syntax",
    "PositiveUpdateSyntaxTest11": "positive-update-syntax",
    "NegativeUpdateSyntaxTest11": "negative-update-syntax",
    "UpdateEvaluationTest": "update",
    "GraphStoreProtocolTest": "graph-store",
    "ServiceDescriptionTest": "service-description",
}
# The HTTP status names the Graph Store tests use, as codes.
STATUS_NAMES = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}


@dataclass(frozen=True)
class Graphs:
    """A dataset as the suite gives it: files for the default graph, (name, file) pairs for
    the named graphs."""

    default: tuple[str, ...] = ()
    named: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.default and not self.named


@dataclass(frozen=True)
class HttpStep:
    """One request of a Graph Store test and what its response must be."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]  # exact codes; a class NXX is given as N
    response_type: str | None
    response_body: bytes | None
    location: str | None  # the template variable the Location header fills


@dataclass(frozen=True)
class Case:
    """One W3C test: its IRI, folder, kind and the files (IRIs) it uses."""

    iri: str
    folder: str
    name: str
    kind: str
    action: str | None = None  # the query or update file
    data: Graphs = field(default_factory=Graphs)
    result: str | None = None  # expected results of a query
    result_data: Graphs = field(default_factory=Graphs)  # expected dataset after an update
    requires: tuple[str, ...] = ()
    steps: tuple[HttpStep, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.folder}/{re.split('[#/]', self.iri)[-1]}"


def path_of(iri: str) -> Path:
    """The copied file a suite IRI names."""
    assert iri.startswith(SUITE_IRI), iri
    return SUITE / iri[len(SUITE_IRI) :]


def iri_of(path: Path) -> str:
    return SUITE_IRI + path.relative_to(SUITE).as_posix()


class Manifest:
    """One manifest file parsed, with the lookups the reader needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index: dict[tuple, list] = {}
        for quad in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=iri_of(path)):
            self.index.setdefault((quad.subject, quad.predicate.value), []).append(quad.object)

    def objects(self, subject, predicate: str) -> list:
        return self.index.get((subject, predicate), [])

    def one(self, subject, predicate: str):
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def items(self, head) -> list:
        out = []
        while head is not None and head != ox.NamedNode(RDF + "nil"):
            out.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return out

    def entries(self) -> list:
        root = ox.NamedNode(iri_of(self.path))
        return self.items(self.one(root, MF + "entries"))

    def includes(self) -> list[Path]:
        root = ox.NamedNode(iri_of(self.path))
        return [path_of(i.value) for i in self.items(self.one(root, MF + "include"))]


def _graphs(manifest: Manifest, node, data: str, graph_data: str) -> Graphs:
    if node is None:
        return Graphs()
    default = tuple(sorted(o.value for o in manifest.objects(node, data)))
    named = []
    for g in manifest.objects(node, graph_data):
        if isinstance(g, ox.NamedNode):
            named.append((g.value, g.value))
        else:  # [ ut:graph <file> ; rdfs:label "name" ]
            file = manifest.one(g, UT + "graph").value
            label = manifest.one(g, RDFS + "label")
            named.append((label.value if label is not None else file, file))
    return Graphs(default, tuple(sorted(named)))


def _text(manifest: Manifest, node) -> bytes | None:
    body = manifest.one(node, HT + "body")
    if body is None:
        return None
    encoding = manifest.one(body, CNT + "characterEncoding")
    return manifest.one(body, CNT + "chars").value.encode(encoding.value if encoding else "utf-8")


def _headers(manifest: Manifest, node) -> tuple[tuple[str, str], ...]:
    return tuple(
        (manifest.one(h, HT + "fieldName").value.lower(), manifest.one(h, HT + "fieldValue").value)
        for h in manifest.items(manifest.one(node, HT + "headers"))
    )


def _status(code) -> int:
    name = code.value.rsplit("#", 1)[-1]
    if name.startswith("StatusCode") and name.endswith("xx"):
        return int(name[len("StatusCode")])
    return STATUS_NAMES[name]


def _steps(manifest: Manifest, action) -> tuple[HttpStep, ...]:
    steps = []
    for request in manifest.items(manifest.one(action, HT + "requests")):
        response = manifest.one(request, HT + "resp")
        response_headers = dict(_headers(manifest, response))
        location = manifest.one(response, MF + "expectedLocation")
        steps.append(
            HttpStep(
                method=manifest.one(request, HT + "methodName").value,
                path=manifest.one(request, HT + "absolutePath").value,
                headers=_headers(manifest, request),
                body=_text(manifest, request),
                statuses=frozenset(
                    _status(c) for c in manifest.objects(response, MF + "expectedStatus")
                ),
                response_type=response_headers.get("content-type"),
                response_body=_text(manifest, response),
                location=location.value if location is not None else None,
            )
        )
    return tuple(steps)


def _case(manifest: Manifest, folder: str, test) -> Case | None:
    types = [t.value.rsplit("#", 1)[-1] for t in manifest.objects(test, RDF + "type")]
    kind = next((KINDS[t] for t in types if t in KINDS), None)
    if kind is None:
        return None
    name = manifest.one(test, MF + "name")
    action = manifest.one(test, MF + "action")
    result = manifest.one(test, MF + "result")
    common = {
        "iri": test.value,
        "folder": folder,
        "name": name.value if name is not None else "",
        "kind": kind,
        "requires": tuple(
            sorted(r.value.rsplit("#", 1)[-1] for r in manifest.objects(test, MF + "requires"))
        ),
    }
    if kind == "graph-store":
        return Case(**common, steps=_steps(manifest, action))
    if kind == "service-description":
        return Case(**common)
    if kind == "update":
        return Case(
            **common,
            action=manifest.one(action, UT + "request").value,
            data=_graphs(manifest, action, UT + "data", UT + "graphData"),
            result_data=_graphs(manifest, result, UT + "data", UT + "graphData"),
        )
    if isinstance(action, ox.NamedNode):  # a syntax test names its query directly
        return Case(**common, action=action.value)
    return Case(
        **common,
        action=manifest.one(action, QT + "query").value,
        data=_graphs(manifest, action, QT + "data", QT + "graphData"),
        result=result.value if result is not None else None,
    )


def _folder_cases(folder: str) -> list[Case]:
    pending, cases = [SUITE / folder / "manifest.ttl"], []
    while pending:
        manifest = Manifest(pending.pop(0))
        pending.extend(manifest.includes())
        cases.extend(c for t in manifest.entries() if (c := _case(manifest, folder, t)))
    return cases


@cache
def all_cases() -> tuple[Case, ...]:
    """Every test of the folders we run, in manifest order."""
    return tuple(c for folder in FOLDERS for c in _folder_cases(folder))


def cases_of(folders: tuple[str, ...]) -> list[Case]:
    return [c for c in all_cases() if c.folder in folders]
