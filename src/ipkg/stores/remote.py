"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB, …): queries through SPARQLWrapper,
graphs loaded and replaced through the Graph Store HTTP Protocol, updates through SPARQL 1.1
Update, with credentials from ``IPKG_STORE_USER`` / ``IPKG_STORE_PASSWORD``.

Virtuoso's quirks are handled here: its default graph is every graph it holds (system graphs
included), so every query names the dataset's graphs; ``ResultSetMaxRows`` truncates results
silently, so the ``X-SPARQL-MaxRows`` header turns into an error; its blank-node labels are not
valid N-Triples labels, so they are renamed; ``INSERT DATA`` fails past ~1,200 triples, so
loads go through the Graph Store Protocol, in batches that keep blank nodes together; a
year-month ``xsd:duration`` comes back as its count of months ("P4Y" as "48"), so it is written
as a duration again.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import re
import time
import urllib.error
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from SPARQLWrapper import POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from ipkg.config import StoreKind
from ipkg.errors import ErrorKind
from ipkg.namespaces import XSD
from ipkg.sparql.execution import QueryOutcome, QueryRequest, short
from ipkg.sparql.formats import BY_KEY
from ipkg.sparql.inspection import RefusedQuery, inspect_request
from ipkg.sparql.lexer import tokens
from ipkg.sparql.pool import PoolStats
from ipkg.sparql.results_json import term_from_json
from ipkg.sparql.serialisation import ResultTooLarge, write_boolean, write_graph, write_solutions
from ipkg.stores.base import DEFAULT_GRAPH, REMOTE, StoreError

SCHEME = "sparql+"
BATCH_TRIPLES = 50_000  # per Graph Store request: Virtuoso loads 100k triples in 1-2 s
SOLUTIONS_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "application/n-triples"
_BNODE_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_HAS_BASE = re.compile(r"^\s*BASE\s", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Endpoint:
    """Where a remote store answers, and as whom."""

    query_url: str
    update_url: str
    graph_store_url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(
        cls,
        spec: str,
        *,
        user: str | None = None,
        password: str | None = None,
        update_url: str | None = None,
        graph_store_url: str | None = None,
    ) -> Endpoint:
        """Reads ``sparql+http://host:port/path``. Without explicit update and Graph Store URLs,
        Virtuoso's are assumed: ``/sparql-auth`` and ``/sparql-graph-crud-auth`` (Digest)."""
        if not spec.startswith(SCHEME + "http"):
            raise ValueError(f"a remote store is sparql+http(s)://host:port/path, got {spec!r}")
        query_url = spec[len(SCHEME) :]
        parts = urlsplit(query_url)
        if not parts.netloc:
            raise ValueError(f"the remote store URL {query_url!r} names no host")
        auth = "-auth" if user else ""
        root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        return cls(
            query_url=query_url,
            update_url=update_url or query_url.rstrip("/") + auth,
            graph_store_url=graph_store_url or f"{root}/sparql-graph-crud{auth}",
            user=user,
            password=password,
        )


def _bnode(label: str) -> ox.BlankNode:
    return ox.BlankNode(_BNODE_UNSAFE.sub("_", label) or "b")


PAGE_ROWS = 1000  # rows per page when a graph is read in pages (below any store's row cap)
XSD_DURATION = XSD + "duration"
_MONTH_COUNT = re.compile(r"-?\d+")
_DURATION_AS_MONTHS = re.compile(r'"(-?\d+)"\^\^<' + re.escape(XSD_DURATION) + ">")


def duration_of_months(count: str) -> str:
    """The canonical xsd:duration of a count of months: Virtuoso 7 answers a year-month
    duration such as "P4Y" with its months ("48")."""
    months = int(count)
    years, rest = divmod(abs(months), 12)
    parts = (f"{years}Y" if years else "") + (f"{rest}M" if rest or not years else "")
    return ("-" if months < 0 else "") + "P" + parts


def term_of(binding: dict[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A SPARQL JSON results term (1.0 or 1.1 style) as a pyoxigraph term, with the remote
    store's blank-node labels made valid and its month counts written as durations again."""
    kind, value = binding["type"], binding["value"]
    if kind == "bnode":
        return _bnode(value)
    if binding.get("datatype") == XSD_DURATION and _MONTH_COUNT.fullmatch(value):
        return term_from_json({**binding, "value": duration_of_months(value)})
    return term_from_json(binding)


def triples_of(body: bytes) -> list[ox.Triple]:
    """N-Triples from the remote store, its blank-node labels made valid and its durations
    written as durations again."""
    text = re.sub(
        r"_:([^\s<>\"]+)",
        lambda m: "_:" + _BNODE_UNSAFE.sub("_", m.group(1)),
        body.decode("utf-8"),
    )
    text = _DURATION_AS_MONTHS.sub(
        lambda m: f'"{duration_of_months(m.group(1))}"^^<{XSD_DURATION}>', text
    )
    return [q.triple for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]


def with_bindings(query: str, substitutions: Mapping[str, str]) -> str:
    """The query with its parameters bound by a VALUES block opening its WHERE clause (the
    remote engine has no substitution API, and Virtuoso applies a trailing VALUES after the
    projection). The values are N-Triples terms, never spliced user text."""
    if not substitutions:
        return query
    names = " ".join(f"?{name}" for name in substitutions)
    block = f" VALUES ({names}) {{ ({' '.join(substitutions.values())}) }} "
    previous, form = "", None
    for token in tokens(query):
        word = token.text.upper() if token.kind == "word" else ""
        if form is None and word in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
            form = word
        if token.text == "{" and token.depth == 1 and form is not None:
            template = form == "CONSTRUCT" and previous == "CONSTRUCT"
            if not template:
                end = token.start + 1
                return query[:end] + block + query[end:]
        previous = token.text.upper()
    return f"{query}\nVALUES ({names}) {{ ({' '.join(substitutions.values())}) }}"


def batches(quads: Sequence[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    """The quads in batches of about ``size``, each blank node's triples in one batch (labels
    are scoped to one request, so splitting them would split the node)."""
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for q in quads:
        labels = [t.value for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
        if len(labels) == 2:
            parent[root(labels[0])] = root(labels[1])
    groups: dict[str | None, list[ox.Quad]] = {}
    for q in quads:
        node = next((t.value for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)), None)
        groups.setdefault(root(node) if node else None, []).append(q)
    free = groups.pop(None, [])
    units = [free[i : i + size] for i in range(0, len(free), size)] + list(groups.values())
    batch: list[ox.Quad] = []
    for unit in units:
        batch.extend(unit)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class RemoteRunner:
    """Runs queries on the remote store within the deadline (the HTTP call times out; the
    store's own limit, e.g. Virtuoso's ``MaxQueryExecutionTime``, stops the work there)."""

    size = 0
    isolation: dict[str, bool] = {}  # noqa: RUF012 (read-only: nothing runs locally)

    def __init__(self, endpoint: Endpoint, graphs: Sequence[str]) -> None:
        self.endpoint = endpoint
        self.graphs = tuple(graphs)
        self.apart_graphs: tuple[str, ...] = ()  # named graphs only, never in the default graph
        self.stats = PoolStats()

    def heal(self) -> bool:
        """Nothing runs locally, so nothing to restart: the remote store answers or not."""
        return True

    def run(
        self, request: QueryRequest, timeout: float, started: float | None = None
    ) -> QueryOutcome:
        deadline = (started if started is not None else time.monotonic()) + timeout
        try:
            form = inspect_request(request.query).form
            outcome = self._answer(request, form, deadline)
        except RefusedQuery as exc:
            outcome = QueryOutcome.error(exc.kind, str(exc))
        except ResultTooLarge as exc:
            outcome = QueryOutcome.error(
                ErrorKind.BAD_REQUEST,
                f"{exc}; add a LIMIT or narrow the query (the cap protects the server)",
            )
        except QueryBadFormed as exc:
            outcome = QueryOutcome.error(
                ErrorKind.BAD_REQUEST, f"SPARQL syntax error: {short(_message(exc))}"
            )
        except TimeoutError:
            self.stats.killed_at_deadline += 1
            return QueryOutcome.error(
                ErrorKind.TIMEOUT, f"query stopped at its deadline of {timeout:g} s"
            )
        except (SPARQLWrapperException, urllib.error.URLError, OSError) as exc:
            if "timeout" in str(exc).lower() or "timed out" in str(exc).lower():
                self.stats.killed_at_deadline += 1
                return QueryOutcome.error(
                    ErrorKind.TIMEOUT, f"query stopped at its deadline of {timeout:g} s"
                )
            outcome = QueryOutcome.error(
                ErrorKind.UPSTREAM, f"the remote store failed: {short(_message(exc))}"
            )
        except (ValueError, SyntaxError) as exc:
            outcome = QueryOutcome.error(
                ErrorKind.UPSTREAM, f"unreadable answer from the remote store: {exc}"
            )
        self.stats.completed += 1
        return outcome

    def _answer(self, request: QueryRequest, form: str | None, deadline: float) -> QueryOutcome:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        is_graph = form in ("CONSTRUCT", "DESCRIBE")
        text = with_bindings(request.query, request.substitutions)
        if request.base_iri and not _HAS_BASE.search(text):
            text = f"BASE <{request.base_iri}>\n{text}"
        client = SPARQLWrapper(self.endpoint.query_url)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", GRAPH_TYPE if is_graph else SOLUTIONS_TYPE)
        for name, values in self._dataset(request).items():
            for value in values:
                client.addParameter(name, value)
        client.timeout = remaining  # a float: SPARQLWrapper's setter rounds down to seconds
        with warnings.catch_warnings():  # it warns on query forms its regex does not know
            warnings.simplefilter("ignore", RuntimeWarning)
            client.setQuery(text)
        response = client.query().response
        body = response.read()
        truncated = response.headers.get("X-SPARQL-MaxRows")
        if truncated:
            return QueryOutcome.error(
                ErrorKind.UPSTREAM,
                f"the remote store cut the result at {truncated} rows (its ResultSetMaxRows); "
                "add a LIMIT or narrow the query",
            )
        fmt = BY_KEY[request.format_key]
        if is_graph:
            triples = triples_of(body)
            data, count = write_graph(fmt, triples, request.max_rows, request.max_bytes)
            return QueryOutcome(data, fmt.content_type, count)
        document = json.loads(body)
        if "boolean" in document:
            value = document["boolean"] in (True, 1, "1", "true")
            return QueryOutcome(write_boolean(fmt, value), fmt.content_type, 1)
        variables = document["head"].get("vars", [])
        rows = (
            [term_of(b[v]) if v in b else None for v in variables]
            for b in document["results"]["bindings"]
        )
        data, count = write_solutions(fmt, variables, rows, request.max_rows, request.max_bytes)
        return QueryOutcome(data, fmt.content_type, count)

    def _dataset(self, request: QueryRequest) -> dict[str, Sequence[str]]:
        if request.default_graphs is not None or request.named_graphs is not None:
            return {
                "default-graph-uri": request.default_graphs or (),
                "named-graph-uri": request.named_graphs or (),
            }
        if request.union_default_graph:  # never Virtuoso's "every graph it holds"
            union = tuple(g for g in self.graphs if g not in self.apart_graphs)
            return {"default-graph-uri": union, "named-graph-uri": self.graphs}
        return {}

    def close(self) -> None:
        return None


def _message(exc: Exception) -> str:
    """The remote store's own words: SPARQLWrapper keeps only the repr of the response body."""
    _head, found, body = str(exc).partition("\n\nResponse:\n")
    if found:
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(body)
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace").strip()
    return str(exc)


class RemoteStore:
    """A dataset held by a remote SPARQL 1.1 store, in the named graphs ``graphs``."""

    kind = StoreKind.REMOTE
    capabilities = REMOTE  # a remote store can change behind our back: never cached

    def __init__(self, endpoint: Endpoint, graphs: Sequence[str], timeout: float = 60) -> None:
        self.endpoint = endpoint
        self.graphs = tuple(graphs)
        self.timeout = timeout
        self.pool = RemoteRunner(endpoint, self.graphs)
        # One digest session for every write: after the first challenge each request
        # authenticates up front instead of sending its body twice.
        self.digest = HTTPDigestAuth(endpoint.user or "", endpoint.password or "")
        self.challenged = False

    def start(
        self, workers: int, memory_mb: int, *, network_namespace: bool = True
    ) -> RemoteRunner:
        return self.pool

    def query(
        self, request: QueryRequest, timeout: float, started: float | None = None
    ) -> QueryOutcome:
        return self.pool.run(request, timeout, started)

    def _select(self, query: str) -> list[dict]:
        outcome = self.pool.run(
            QueryRequest(query, "json", union_default_graph=False), self.timeout
        )
        if not outcome.ok:
            raise StoreError(f"{self.endpoint.query_url}: {outcome.body.decode()}")
        return json.loads(outcome.body)["results"]["bindings"]

    def graph_sizes(self) -> dict[str, int]:
        """One COUNT per graph (Virtuoso answers a GROUP BY over GRAPH ?g far more slowly)."""
        sizes = {}
        for graph in self.graphs:
            rows = self._select(f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
            count = int(rows[0]["n"]["value"]) if rows else 0
            if count:
                sizes[graph] = count
        return sizes

    def union_size(self) -> int:
        """The sum of the graph sizes: a triple in two graphs counts twice. (Counting distinct
        triples across graphs took Virtuoso 80 s at 100k triples; ipkg's graphs are disjoint.)"""
        return sum(self.graph_sizes().values())

    def _auth(self, response: requests.Response):
        if not self.endpoint.user:
            return None
        challenge = response.headers.get("WWW-Authenticate", "").lower()
        password = self.endpoint.password or ""
        if challenge.startswith("basic"):
            return HTTPBasicAuth(self.endpoint.user, password)
        return self.digest

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        if self.endpoint.user and kwargs.get("data") and not self.challenged:
            # Learn the digest challenge without a body first: Virtuoso answers a large body it
            # will not accept with a 401 and drops the connection before reading it.
            self.challenged = True
            requests.request("GET", url, auth=self.digest, timeout=self.timeout)
        response = requests.request(
            method, url, auth=self.digest if self.endpoint.user else None, **kwargs
        )
        if response.status_code == 401 and self.endpoint.user:
            response = requests.request(method, url, auth=self._auth(response), **kwargs)
        if response.status_code >= 400:
            raise StoreError(
                f"{method} {url}: HTTP {response.status_code}: {short(response.text.strip())}"
            )
        return response

    def update(self, text: str) -> None:
        """Runs a SPARQL 1.1 Update on the remote store."""
        try:
            self._send("POST", self.endpoint.update_url, data={"update": text})
        except StoreError as exc:
            if "SR325" not in str(exc):
                raise
            raise StoreError(
                f"{exc}\nVirtuoso logs a whole update in one transaction, and this one is larger "
                "than its TransactionAfterImageLimit: raise it in virtuoso.ini [Parameters] "
                "(TransactionAfterImageLimit = 2000000000, its largest value, holds graphs of "
                "millions of triples)"
            ) from None

    def _graph_request(self, method: str, graph: str, body: bytes | None = None) -> None:
        headers = {"Content-Type": GRAPH_TYPE} if body is not None else {}
        self._send(
            method,
            self.endpoint.graph_store_url,
            params={"graph-uri": graph},
            data=body,
            headers=headers,
        )

    def load_graph(self, graph: str, quads: Sequence[ox.Quad], batch: int = BATCH_TRIPLES) -> int:
        """Replaces ``graph`` by the quads' triples: loaded in batches into a scratch graph,
        then moved over the old one, so a failed load leaves the old graph in place and a
        repeated load gives the same result. Returns the number of requests sent."""
        if not quads:
            self.update(f"DROP SILENT GRAPH <{graph}>")
            return 1
        scratch = "urn:ipkg:loading:" + hashlib.sha256(graph.encode()).hexdigest()[:16]
        sent = 0
        for number, part in enumerate(batches(quads, batch)):
            body = ox.serialize([q.triple for q in part], format=ox.RdfFormat.N_TRIPLES)
            self._graph_request("PUT" if number == 0 else "POST", scratch, body)
            sent += 1
        self.update(f"MOVE SILENT <{scratch}> TO <{graph}>")
        return sent + 1

    def quads(self) -> list[ox.Quad]:
        """Every quad of the dataset's graphs, each graph read whole: Virtuoso cuts a Graph
        Store GET at ``ResultSetMaxRows`` without saying so, so a graph that comes back short
        of its count is read again in ordered pages."""
        sizes = self.graph_sizes()
        quads = []
        for graph in self.graphs:
            triples = self._graph_triples(graph)
            if len(triples) < sizes.get(graph, 0):
                triples = self._paged_triples(graph)
            if len(triples) != sizes.get(graph, 0):
                raise StoreError(
                    f"read {len(triples)} of the {sizes.get(graph, 0)} triples of <{graph}>"
                )
            name = ox.NamedNode(graph)
            quads += [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
        return quads

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        """Through the Graph Store Protocol: the row cap of queries would cut a large graph."""
        return [q for q in self.quads() if graph in (None, q.graph_name.value)]

    def _graph_triples(self, graph: str) -> list[ox.Triple]:
        response = self._send(
            "GET",
            self.endpoint.graph_store_url,
            params={"graph-uri": graph},
            headers={"Accept": GRAPH_TYPE},
        )
        return [] if response.headers.get("X-SPARQL-MaxRows") else triples_of(response.content)

    def _paged_triples(self, graph: str, page: int = PAGE_ROWS) -> list[ox.Triple]:
        triples: list[ox.Triple] = []
        while True:
            rows = self._select(
                f"SELECT ?s ?p ?o FROM <{graph}> WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o "
                f"LIMIT {page} OFFSET {len(triples)}"
            )
            triples += [ox.Triple(*(term_of(row[k]) for k in "spo")) for row in rows]
            if len(rows) < page:
                return triples

    def replace_graphs(self, graphs: Mapping[str, Sequence[ox.Quad]]) -> None:
        for graph, quads in graphs.items():
            if graph == DEFAULT_GRAPH:
                raise StoreError("a remote store holds the dataset in named graphs only")
            self.load_graph(graph, quads)

    def apply_update(self, update: str, base_iri: str | None = None) -> None:
        self.update(f"BASE <{base_iri}>\n{update}" if base_iri else update)

    def close(self) -> None:
        return None


def pushed(store: RemoteStore, graphs: Iterable[tuple[str, Sequence[ox.Quad]]]) -> dict[str, int]:
    """Loads each (graph, quads) into the remote store; returns triples loaded per graph."""
    loaded = {}
    for graph, quads in graphs:
        store.load_graph(graph, quads)
        loaded[graph] = len(quads)
    return loaded
