"""Runs one W3C test against a live service over HTTP and says whether it passed, and if not,
what differed. A test's data goes in through the service's Graph Store Protocol (``PUT``), the
query or update through the SPARQL Protocol, the query or update file's IRI given as its
``BASE`` (the suite resolves each file against its own IRI); a default-graph file is sent
with an ``@base`` of its file IRI (the default graph has no IRI of its own to resolve
against), a named graph's file as written. An update test's starting data goes in by one
``DROP ALL ; INSERT DATA`` (one write instead of one per graph)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
import requests
from conformance.answers import Solutions, difference, isomorphic, same_solutions
from conformance.services import SPARQL_JSON, LoadFailed, Service
from conformance.suite import SD_NS, Case, Graphs, HttpStep, path_of

from ipkg.stores.base import insert_data

MEDIA_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples", ".rdf": "application/rdf+xml"}
RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
RESULT_FORMATS = {
    ".srx": ox.QueryResultsFormat.XML,
    ".srj": ox.QueryResultsFormat.JSON,
    ".tsv": ox.QueryResultsFormat.TSV,
}
ACCEPT = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
}
ANY_ANSWER = f"{SPARQL_JSON}, application/n-triples;q=0.9"
DATASET = "SELECT ?s ?p ?o ?g { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
NOT_OFFERED = {"DirectGraphIdentification"}  # optional Graph Store features not offered


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str = ""


def failed(message: str) -> Verdict:
    return Verdict(False, message)


PASSED = Verdict(True)


def _read(iri: str) -> bytes:
    return path_of(iri).read_bytes()


def _suffix(iri: str) -> str:
    return "." + iri.rsplit(".", 1)[-1]


def _quads(iri: str, graph: str | None = None, base: str | None = None) -> list[ox.Quad]:
    fmt = RDF_FORMATS[MEDIA_TYPES[_suffix(iri)]]
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return [
        ox.Quad(q.subject, q.predicate, q.object, target)
        for q in ox.parse(_read(iri), format=fmt, base_iri=base or iri)
    ]


def expected_dataset(graphs: Graphs) -> list[ox.Quad]:
    """What the suite's files say a dataset holds, each file read as the runner loads it."""
    quads = [q for iri in graphs.default for q in _quads(iri)]
    quads += [q for name, iri in graphs.named for q in _quads(iri, name, name)]
    return quads


def _replaced_by_puts(old: object, new: Graphs) -> bool:
    """Whether PUTs of the new dataset's graphs leave nothing of the old one (known) behind."""
    if not isinstance(old, Graphs) or (old.default and not new.default):
        return False
    return {name for name, _ in old.named} <= {name for name, _ in new.named}


def _load_by_update(service: Service, graphs: Graphs) -> None:
    """The dataset replaced in one write: ``DROP ALL`` and one ``INSERT DATA`` of the files as
    the Graph Store would read them (for a store where every write is costly)."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for quad in expected_dataset(graphs):
        key = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        by_graph.setdefault(key, []).append(quad)
    text = "DROP ALL" + (f" ;\n{insert_data(by_graph)}" if by_graph else "")
    response = service.update(text)
    if response.status_code >= 300:
        raise LoadFailed(f"loading answered {response.status_code}: {response.text[:300]}")


def load(service: Service, graphs: Graphs, *, by_update: bool = False) -> None:
    """Replaces the service's data by the test's (nothing when it is already loaded): by
    Graph Store PUTs, or by one SPARQL Update where ``by_update`` or the service asks."""
    old, service.loaded = service.loaded, None  # unknown until every PUT succeeded
    if old == graphs:
        service.loaded = old
        return
    if by_update or service.load_by_update:
        _load_by_update(service, graphs)
        service.loaded = graphs
        return
    if not _replaced_by_puts(old, graphs):
        response = service.update("DROP ALL")
        if response.status_code >= 300:
            raise LoadFailed(f"DROP ALL answered {response.status_code}: {response.text[:300]}")
    for position, iri in enumerate(graphs.default):
        body = _read(iri)
        if _suffix(iri) == ".ttl":
            body = f"@base <{iri}> .\n".encode() + body
        elif _suffix(iri) == ".rdf" and b"xml:base" not in body:
            body = body.replace(b"<rdf:RDF", f'<rdf:RDF xml:base="{iri}"'.encode(), 1)
        service.put(None, body, MEDIA_TYPES[_suffix(iri)], merge=position > 0)
    for name, iri in graphs.named:
        service.put(name, _read(iri), MEDIA_TYPES[_suffix(iri)])
    service.loaded = graphs


def _ordered(query: str) -> bool:
    """Whether the outermost query has ORDER BY (after its last closing brace)."""
    text = re.sub(r"#[^\n]*", "", query)
    return bool(re.search(r"ORDER\s+BY", text[text.rfind("}") + 1 :], re.IGNORECASE))


def _with_base(iri: str) -> str:
    return f"BASE <{iri}>\n" + _read(iri).decode("utf-8")


def _mimetype(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _answer(response: requests.Response, csv_or_tsv: str | None) -> Solutions | list[ox.Quad]:
    kind = _mimetype(response)
    if csv_or_tsv == ".csv":
        return Solutions.from_csv(response.content)
    if kind in RDF_FORMATS:
        return list(ox.parse(response.content, format=RDF_FORMATS[kind]))
    fmt = {
        SPARQL_JSON: ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }[kind]
    return Solutions.parsed(response.content, fmt)


def _expected(iri: str) -> Solutions | list[ox.Quad]:
    suffix = _suffix(iri)
    if suffix in RESULT_FORMATS:
        return Solutions.parsed(_read(iri), RESULT_FORMATS[suffix])
    if suffix == ".csv":
        return Solutions.from_csv(_read(iri))
    quads = _quads(iri)
    if any(q.object == ox.NamedNode(RS_RESULT_SET) for q in quads):
        return Solutions.from_result_graph(quads)
    return quads


RS_RESULT_SET = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#ResultSet"


def run_query(case: Case, service: Service) -> Verdict:
    load(service, case.data)
    query = _with_base(case.action)
    suffix = _suffix(case.result)
    response = service.query(query, ACCEPT.get(suffix, ANY_ANSWER))
    if response.status_code != 200:
        return failed(f"{response.status_code}: {response.text[:400]}")
    actual = _answer(response, suffix if suffix in ACCEPT else None)
    expected = _expected(case.result)
    if isinstance(expected, list) or isinstance(actual, list):
        if not (isinstance(expected, list) and isinstance(actual, list)):
            return failed(f"expected {type(expected).__name__}, got {type(actual).__name__}")
        if isomorphic(expected, actual):
            return PASSED
        return failed(f"graphs differ: expected {len(expected)} triples, got {len(actual)}")
    if suffix == ".csv":
        expected = expected.as_strings()
    if same_solutions(expected, actual, ordered=_ordered(query)):
        return PASSED
    return failed(difference(expected, actual))


def run_syntax(case: Case, service: Service) -> Verdict:
    """A syntax test over HTTP: a malformed request is a 400; a legal one is anything else
    but a 4xx (it may still fail to evaluate: 500/501)."""
    positive = case.kind.startswith("positive")
    if case.kind.endswith("update-syntax"):
        if positive:
            load(service, Graphs())
        response = service.update(_with_base(case.action))
    else:
        response = service.query(_with_base(case.action), ANY_ANSWER)
    status = response.status_code
    if positive and (status < 300 or status in (500, 501)):
        return PASSED
    if not positive and status == 400:
        return PASSED
    want = "accepted" if positive else "400"
    return failed(f"expected {want}, got {status}: {response.text[:400]}")


def run_update(case: Case, service: Service) -> Verdict:
    load(service, case.data, by_update=True)  # one write: the state before is the test's
    response = service.update(_with_base(case.action))
    if response.status_code >= 300:
        return failed(f"the update answered {response.status_code}: {response.text[:400]}")
    state = service.query(DATASET, SPARQL_JSON)
    if state.status_code != 200:
        return failed(f"reading the dataset answered {state.status_code}: {state.text[:300]}")
    rows = Solutions.parsed(state.content, ox.QueryResultsFormat.JSON).rows
    actual = [ox.Quad(r["s"], r["p"], r["o"], r.get("g", ox.DefaultGraph())) for r in rows]
    expected = expected_dataset(case.result_data)
    if isomorphic(expected, actual):
        return PASSED
    extra = sorted(str(q) for q in set(actual) - set(expected))[:4]
    missing = sorted(str(q) for q in set(expected) - set(actual))[:4]
    return failed(f"datasets differ; missing {missing}; unexpected {extra}")


def _status_matches(step: HttpStep, status: int) -> bool:
    return any(status == s or (s < 10 and status // 100 == s) for s in step.statuses)


def run_graph_store(case: Case, service: Service) -> Verdict:
    load(service, Graphs())
    service.loaded = None
    values: dict[str, str] = {}
    for number, step in enumerate(case.steps, 1):
        path = step.path
        for name, value in values.items():
            path = path.replace(name, value)
        path = service.store_path + path[len("/gsp") :]
        response = service.request(step.method, path, dict(step.headers), step.body)
        where = f"request {number} ({step.method} {path})"
        if not _status_matches(step, response.status_code):
            return failed(
                f"{where}: expected {sorted(step.statuses)}, got {response.status_code}: "
                f"{response.text[:300]}"
            )
        if step.location:
            if "Location" not in response.headers:
                return failed(f"{where}: no Location header")
            values[step.location] = response.headers["Location"]
        if step.response_type and _mimetype(response) != step.response_type.split(";")[0]:
            return failed(f"{where}: Content-Type {_mimetype(response)}, not {step.response_type}")
        if step.response_body is not None and step.method != "HEAD":
            expected = list(ox.parse(step.response_body, format=ox.RdfFormat.TURTLE))
            kind = _mimetype(response)
            if kind not in RDF_FORMATS:
                return failed(f"{where}: answered {kind or 'no Content-Type'}")
            actual = list(ox.parse(response.content, format=RDF_FORMATS[kind]))
            if not isomorphic(expected, actual):
                return failed(f"{where}: the graph differs from the expected one")
    return PASSED


def run_service_description(case: Case, service: Service) -> Verdict:
    response = service.session.get(service.query_url, headers={"Accept": "text/turtle"}, timeout=30)
    kind = _mimetype(response)
    if response.status_code != 200 or kind not in RDF_FORMATS:
        return failed(f"GET {service.query_path} answered {response.status_code} {kind}")
    triples = list(ox.parse(response.content, format=RDF_FORMATS[kind], base_iri=service.query_url))
    endpoint = ox.NamedNode(service.query_url)
    services = {t.subject for t in triples if t.predicate == ox.NamedNode(SD_NS + "endpoint")}
    if case.iri.endswith("has-endpoint-triple"):
        found = any(
            t.predicate.value == SD_NS + "endpoint" and t.object == endpoint for t in triples
        )
        return PASSED if found else failed(f"no sd:endpoint <{service.query_url}>")
    if case.iri.endswith("conforms-to-schema"):
        typed = {
            t.subject
            for t in triples
            if t.predicate.value.endswith("#type") and t.object == ox.NamedNode(SD_NS + "Service")
        }
        languages = {
            t.subject for t in triples if t.predicate == ox.NamedNode(SD_NS + "supportedLanguage")
        }
        if typed & services & languages:
            return PASSED
        return failed("no sd:Service with an sd:endpoint and an sd:supportedLanguage")
    return PASSED


RUNNERS = {
    "query": run_query,
    "positive-syntax": run_syntax,
    "negative-syntax": run_syntax,
    "positive-update-syntax": run_syntax,
    "negative-update-syntax": run_syntax,
    "update": run_update,
    "graph-store": run_graph_store,
    "service-description": run_service_description,
}


def applicable(case: Case) -> bool:
    """Whether the test needs nothing the services do not offer (optional features)."""
    return not NOT_OFFERED & set(case.requires)


def run(case: Case, service: Service) -> Verdict:
    """The test run against the service: passed, or the message saying what differed."""
    try:
        return RUNNERS[case.kind](case, service)
    except LoadFailed as exc:
        service.loaded = None
        return failed(f"the test's data was refused: {exc}")
    except (SyntaxError, ValueError, KeyError, StopIteration) as exc:
        return failed(f"the answer could not be read: {type(exc).__name__}: {exc}")


def loading_order(cases: list[Case]) -> list[Case]:
    """The cases with the query tests that share a dataset next to each other (one load for
    them all), then the rest in manifest order."""
    queries = [c for c in cases if c.kind == "query"]
    others = [c for c in cases if c.kind != "query"]
    return sorted(queries, key=lambda c: repr(c.data)) + others
