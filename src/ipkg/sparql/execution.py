"""Evaluating one SPARQL query against a store and serialising its result: the work a query
worker does. Plain data goes in (:class:`QueryRequest`) and comes out (:class:`QueryOutcome`),
so it crosses a process boundary as it is."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ipkg.namespaces import COMMON_PREFIXES
from ipkg.sparql.formats import BY_KEY
from ipkg.sparql.serialisation import ResultTooLarge, write_boolean, write_graph, write_solutions


@dataclass(frozen=True)
class QueryRequest:
    """A query to run, with the dataset the protocol asked for and the caps on its result.

    ``default_graphs``/``named_graphs`` of None mean "not given": the query's own FROM clauses
    apply, and without those the default graph is the union of all graphs.
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
    """What came of a query: an HTTP status, a body, and how many rows or triples it holds."""

    status: int
    body: bytes
    content_type: str
    rows: int = 0

    @classmethod
    def error(cls, status: int, message: str) -> QueryOutcome:
        return cls(status, message.encode("utf-8"), "text/plain; charset=utf-8")


def short(message: str, limit: int = 300) -> str:
    """An engine message cut to a readable length (oxigraph lists every expected character)."""
    return message if len(message) <= limit else message[:limit].rstrip() + " …"


def _term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    quads = list(ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES))
    return quads[0].object


def _dataset_options(request: QueryRequest) -> dict:
    if request.default_graphs is None and request.named_graphs is None:
        return {}
    # Only named-graph-uri given: the default graph is empty, as with FROM NAMED and no FROM.
    return {
        "default_graph": [ox.NamedNode(g) for g in request.default_graphs or ()],
        "named_graphs": [ox.NamedNode(g) for g in request.named_graphs or ()],
    }


def run_query(store: ox.Store, request: QueryRequest):
    """Evaluates the query; raises SyntaxError for a malformed one."""
    options = _dataset_options(request)
    if not options and request.union_default_graph:
        options["use_default_graph_as_union"] = True
    if request.substitutions:
        options["substitutions"] = {
            ox.Variable(name): _term(value) for name, value in request.substitutions.items()
        }
    if request.base_iri:
        options["base_iri"] = request.base_iri
    return store.query(request.query, **options)


def serialised(result, request: QueryRequest) -> QueryOutcome:
    """The 200 outcome carrying a query result (boolean, solutions or triples) in the
    requested format; raises ResultTooLarge past the caps."""
    fmt = BY_KEY[request.format_key]
    if isinstance(result, ox.QueryBoolean | bool):
        return QueryOutcome(200, write_boolean(fmt, bool(result)), fmt.content_type, 1)
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows = (tuple(solution) for solution in result)  # values in variable order
        body, count = write_solutions(fmt, variables, rows, request.max_rows, request.max_bytes)
    else:
        prefixes = {**COMMON_PREFIXES, **request.prefixes}
        body, count = write_graph(fmt, result, request.max_rows, request.max_bytes, prefixes)
    return QueryOutcome(200, body, fmt.content_type, count)


def updated_copy(request: UpdateRequest) -> QueryOutcome:
    """The 200 outcome carrying the data after the update, as N-Quads (blank node labels
    kept), or the 400 naming what is wrong with the update."""
    store = ox.Store()
    store.extend(ox.parse(request.nquads, format=ox.RdfFormat.N_QUADS))
    try:
        store.update(request.update, base_iri=request.base_iri)
    except SyntaxError as exc:
        return QueryOutcome.error(400, f"SPARQL Update syntax error: {short(str(exc))}")
    except (OSError, ValueError, RuntimeError) as exc:
        return QueryOutcome.error(400, f"the update failed: {short(str(exc))}")
    return QueryOutcome(200, store.dump(format=ox.RdfFormat.N_QUADS), "application/n-quads")


def execute(store: ox.Store, request: QueryRequest | UpdateRequest) -> QueryOutcome:
    """Runs a query and serialises its result (or runs an update on the copy it carries),
    turning every failure into an HTTP outcome."""
    if isinstance(request, UpdateRequest):
        return updated_copy(request)
    try:
        return serialised(run_query(store, request), request)
    except SyntaxError as exc:
        return QueryOutcome.error(400, f"SPARQL syntax error: {short(str(exc))}")
    except ResultTooLarge as exc:
        return QueryOutcome.error(
            400, f"{exc}; add a LIMIT or narrow the query (the cap protects the server)"
        )
    except MemoryError:
        return QueryOutcome.error(503, "query ran out of its memory allowance")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        # RuntimeError: pyoxigraph refusing a request it cannot evaluate (e.g. a substitution
        # of a variable the query does not project) must not end the worker.
        return QueryOutcome.error(400, f"query failed: {exc}")
