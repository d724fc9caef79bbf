"""Evaluating one SPARQL query against a store and serialising its result: the work a query
worker does. Plain data goes in (:class:`QueryRequest`) and comes out (:class:`QueryOutcome`),
so it crosses a process boundary as it is."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ipkg.errors import ErrorKind
from ipkg.namespaces import COMMON_PREFIXES
from ipkg.sparql.formats import BY_KEY
from ipkg.sparql.plain_words import syntax_error
from ipkg.sparql.serialisation import (
    ResultTooLarge,
    write_boolean,
    write_graph,
    write_query_solutions,
)


@dataclass(frozen=True)
class QueryRequest:
    """A query to run, with the dataset the protocol asked for and the caps on its result.

    ``default_graphs``/``named_graphs`` of None mean "not given": the query's own FROM clauses
    apply, and without those the default graph is the union of all graphs but ``apart_graphs``
    (the saved-query catalogue), which stay queryable by GRAPH.
    ``union_default_graph`` is False when the query has FROM clauses of its own.
    ``substitutions`` binds variables to terms written in N-Triples syntax.
    ``base_iri`` resolves relative IRIs of a query without a BASE (the protocol uses the
    endpoint's URL: the W3C protocol tests expect a service-defined base IRI).
    """

    query: str
    format_key: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int = 100_000
    max_bytes: int = 32 * 1_048_576
    union_default_graph: bool = True
    prefixes: dict[str, str] = field(default_factory=dict)
    substitutions: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None
    apart_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdateRequest:
    """A SPARQL Update to run on a copy of the data (``nquads``) in a worker, which answers
    the changed copy as N-Quads: the update gets the worker's deadline, memory cap and lack of
    network, and the HTTP process never evaluates it."""

    update: str
    nquads: bytes
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryOutcome:
    """What came of a query: a body, how many rows or triples it holds, and for a failure its
    kind (the body is then the message)."""

    body: bytes
    content_type: str
    rows: int = 0
    failure: ErrorKind | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @classmethod
    def error(cls, kind: ErrorKind, message: str) -> QueryOutcome:
        return cls(message.encode("utf-8"), "text/plain; charset=utf-8", failure=kind)


def short(message: str, limit: int = 300) -> str:
    """An engine message cut to a readable length (oxigraph lists every expected character)."""
    return message if len(message) <= limit else message[:limit].rstrip() + " …"


def _term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    quads = list(ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES))
    return quads[0].object


class BadDataset(ValueError):
    """A dataset parameter (default-graph-uri, named-graph-uri) that is not an IRI."""


def _graph_name(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise BadDataset(
            f"the dataset names {iri!r}, which is not an absolute IRI: {exc}"
        ) from None


def _dataset_options(request: QueryRequest) -> dict:
    if request.default_graphs is None and request.named_graphs is None:
        return {}
    # Only named-graph-uri given: the default graph is empty, as with FROM NAMED and no FROM.
    return {
        "default_graph": [_graph_name(g) for g in request.default_graphs or ()],
        "named_graphs": [_graph_name(g) for g in request.named_graphs or ()],
    }


def _union_options(store: ox.Store, apart: tuple[str, ...]) -> dict:
    """The default graph as the union of the store's graphs but ``apart`` (GRAPH sees all)."""
    if not apart:
        return {"use_default_graph_as_union": True}
    kept = [
        g for g in store.named_graphs() if not (isinstance(g, ox.NamedNode) and g.value in apart)
    ]
    return {"default_graph": [ox.DefaultGraph(), *kept]}


def run_query(store: ox.Store, request: QueryRequest):
    """Evaluates the query; raises SyntaxError for a malformed one."""
    options = _dataset_options(request)
    if not options and request.union_default_graph:
        options.update(_union_options(store, request.apart_graphs))
    if request.substitutions:
        options["substitutions"] = {
            ox.Variable(name): _term(value) for name, value in request.substitutions.items()
        }
    if request.base_iri:
        options["base_iri"] = request.base_iri
    return store.query(request.query, **options)


def serialised(result, request: QueryRequest) -> QueryOutcome:
    """The outcome carrying a query result (boolean, solutions or triples) in the
    requested format; raises ResultTooLarge past the caps."""
    fmt = BY_KEY[request.format_key]
    if isinstance(result, ox.QueryBoolean | bool):
        return QueryOutcome(write_boolean(fmt, bool(result)), fmt.content_type, 1)
    if isinstance(result, ox.QuerySolutions):
        body, count = write_query_solutions(fmt, result, request.max_rows, request.max_bytes)
    else:
        prefixes = {**COMMON_PREFIXES, **request.prefixes}
        body, count = write_graph(fmt, result, request.max_rows, request.max_bytes, prefixes)
    return QueryOutcome(body, fmt.content_type, count)


def updated_copy(request: UpdateRequest) -> QueryOutcome:
    """The outcome carrying the data after the update, as N-Quads (blank node labels kept), or
    the bad-request failure naming what is wrong with the update."""
    store = ox.Store()
    store.extend(ox.parse(request.nquads, format=ox.RdfFormat.N_QUADS))
    try:
        store.update(request.update, base_iri=request.base_iri)
    except SyntaxError as exc:
        return QueryOutcome.error(
            ErrorKind.BAD_REQUEST, syntax_error(str(exc), request.update, update=True)
        )
    except (OSError, ValueError, RuntimeError) as exc:
        kind = ErrorKind.UNSUPPORTED if "is not supported" in str(exc) else ErrorKind.ENGINE
        return QueryOutcome.error(kind, f"the update failed: {short(str(exc))}")
    return QueryOutcome(store.dump(format=ox.RdfFormat.N_QUADS), "application/n-quads")


def execute(store: ox.Store, request: QueryRequest | UpdateRequest) -> QueryOutcome:
    """Runs a query and serialises its result (or runs an update on the copy it carries),
    turning every failure into an outcome of its kind."""
    if isinstance(request, UpdateRequest):
        return updated_copy(request)
    try:
        return serialised(run_query(store, request), request)
    except SyntaxError as exc:
        return QueryOutcome.error(ErrorKind.BAD_REQUEST, syntax_error(str(exc), request.query))
    except ResultTooLarge as exc:
        return QueryOutcome.error(
            ErrorKind.BAD_REQUEST,
            f"{exc}; add a LIMIT or narrow the query (the cap protects the server)",
        )
    except BadDataset as exc:
        return QueryOutcome.error(ErrorKind.BAD_REQUEST, str(exc))
    except MemoryError:
        return QueryOutcome.error(ErrorKind.OVER_MEMORY, "query ran out of its memory allowance")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        # The query parsed: whatever fails now is the engine's, not the client's, unless the
        # service's own substitutions name a variable the query does not project.
        return QueryOutcome.error(evaluation_failure(exc, request), f"query failed: {exc}")


def evaluation_failure(exc: Exception, request: QueryRequest) -> ErrorKind:
    """Why a query that parsed could not be answered: a feature the engine does not implement
    (an unknown function: 501), a bad substitution of the request (400), else the engine (500)."""
    message = str(exc)
    if "is not supported" in message:
        return ErrorKind.UNSUPPORTED
    if request.substitutions and "projection" in message:
        return ErrorKind.BAD_REQUEST
    return ErrorKind.ENGINE
