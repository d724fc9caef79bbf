"""Authenticated writes: SPARQL 1.1 Update on ``/sparql`` and the Graph Store HTTP Protocol on
``/store``. Off unless an update token is configured; a write then needs
``Authorization: Bearer <token>`` (missing: 401, wrong: 403) and either commits whole or
changes nothing (see ``ipkg.stores.updates``). Reading a graph from ``/store`` needs no token."""

from __future__ import annotations

import hmac
import logging
import uuid

import pyoxigraph as ox
from flask import Blueprint, Request, Response, request

from ipkg.build.loading import RdfInputError, parse_bytes
from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryRequest, UpdateRequest
from ipkg.sparql.formats import GRAPH, formats_for
from ipkg.sparql.pool import WorkerPool
from ipkg.stores.base import DEFAULT_GRAPH, StoreError
from ipkg.stores.updates import (
    Change,
    WritePolicy,
    WriteRefused,
    committed,
    graph_delete,
    graph_put,
    with_using,
)
from ipkg.web.errors import negotiate_or_406, status_of, text_error
from ipkg.web.state import ServiceState, state

log = logging.getLogger(__name__)
blueprint = Blueprint("graph_store", __name__)

READ_ONLY = (
    "This endpoint is read-only: SPARQL Update is disabled. "
    "(An operator can enable authenticated updates.)"
)
BODY_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def refusal(req: Request, token: str) -> Response | None:
    """The 401/403 answer for a write that is not allowed, or None when it is."""
    if not token:
        return text_error(403, READ_ONLY)
    header = req.headers.get("Authorization", "")
    if not header:
        return text_error(
            401,
            "writes need an 'Authorization: Bearer <token>' header",
            {"WWW-Authenticate": 'Bearer realm="ipkg"'},
        )
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        return text_error(403, "the bearer token is not valid for writes")
    return None


def _refreshed(service: ServiceState) -> None:
    backend = service.backend
    service.data_version += 1  # caches of API answers and dumps start afresh
    service.results.clear()  # and so do the /sparql answers
    service.graph_sizes = backend.graph_sizes()
    service.union_size = backend.union_size()


def write(change: Change) -> Response:
    """Commits one change under the service's write lock; answers 204 or the refusal."""
    service = state()
    dataset = WritePolicy(service.settings, service.namespaces)
    try:
        with service.write_lock:
            committed(service.backend, dataset, change)
            _refreshed(service)
    except WriteRefused as exc:
        return text_error(status_of(exc.kind), str(exc))
    except SyntaxError as exc:
        return text_error(400, f"SPARQL Update syntax error: {exc}")
    except StoreError as exc:
        log.error("write failed in the store: %s", exc)
        return text_error(502, f"the store refused the write: {exc}")
    except (OSError, ValueError) as exc:
        return text_error(400, f"the update failed: {exc}")
    return Response(status=204)


def isolated_update(text: str, base_iri: str) -> Change:
    """A change that runs a SPARQL Update in a query worker (no network, deadline, memory
    cap) on a copy of the data, and takes the changed copy it answers."""
    service = state()

    def change(scratch: ox.Store) -> None:
        if not isinstance(service.pool, WorkerPool):  # a remote store: no local workers
            scratch.update(text, base_iri=base_iri)  # SERVICE/LOAD already refused by parse
            return
        job = UpdateRequest(text, scratch.dump(format=ox.RdfFormat.N_QUADS), base_iri)
        outcome = service.pool.run(job, service.settings.query_timeout)
        if not outcome.ok:
            raise WriteRefused(outcome.failure, outcome.body.decode("utf-8", "replace"))
        scratch.clear()
        scratch.extend(ox.parse(outcome.body, format=ox.RdfFormat.N_QUADS))

    return change


def _dataset_parameters(req: Request, name: str) -> list[str]:
    values = req.args.getlist(name)
    if req.mimetype == "application/x-www-form-urlencoded":
        values += req.form.getlist(name)
    return values


def answer_update(text: str, req: Request) -> Response:
    """Runs a SPARQL Update sent to ``/sparql`` (the protocol checks are already done)."""
    denied = refusal(req, state().settings.update_token)
    if denied is not None:
        return denied
    try:
        update = with_using(
            text,
            _dataset_parameters(req, "using-graph-uri"),
            _dataset_parameters(req, "using-named-graph-uri"),
        )
    except WriteRefused as exc:
        return text_error(status_of(exc.kind), str(exc))
    return write(isolated_update(update, req.base_url))


def _target(req: Request) -> str:
    """The graph a Graph Store request names: '' for ``?default``, else ``?graph=IRI``; a POST
    naming none creates a graph under the dataset's base (its IRI is the answer's Location)."""
    graphs = req.args.getlist("graph")
    has_default = "default" in req.args
    if req.method == "POST" and not graphs and not has_default:
        return state().namespaces.graph(uuid.uuid4().hex)
    if has_default == bool(graphs) or len(graphs) > 1:
        raise WriteRefused(ErrorKind.BAD_REQUEST, "name one graph: ?default or ?graph=IRI")
    if has_default:
        return DEFAULT_GRAPH
    iri = graphs[0]
    try:
        return ox.NamedNode(iri).value
    except ValueError:
        raise WriteRefused(
            ErrorKind.BAD_REQUEST, f"?graph={iri!r} is not an absolute IRI"
        ) from None


def _read_graph(service: ServiceState, target: str) -> Response:
    dataset = WritePolicy(service.settings, service.namespaces)
    if dataset.is_article and target == DEFAULT_GRAPH:
        target = service.namespaces.graph("asserted")
    if target != DEFAULT_GRAPH and target not in service.graph_sizes:
        return text_error(404, f"no graph <{target}> in this dataset")
    fmt = negotiate_or_406(formats_for(GRAPH), "a graph can be sent as: {offered}")
    pattern = "?s ?p ?o" if target == DEFAULT_GRAPH else f"GRAPH <{target}> {{ ?s ?p ?o }}"
    job = QueryRequest(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}",
        fmt.key,
        union_default_graph=False,
        max_rows=service.settings.max_rows,
        max_bytes=service.settings.max_result_bytes,
    )
    outcome = service.pool.run(job, service.settings.query_timeout)
    return Response(
        outcome.body, status=status_of(outcome.failure), content_type=outcome.content_type
    )


def _parsed(body: bytes, mimetype: str, source: str, base: str) -> list[ox.Triple]:
    fmt = BODY_FORMATS.get(mimetype)
    if fmt is None:
        known = ", ".join(BODY_FORMATS)
        raise WriteRefused(
            ErrorKind.UNSUPPORTED_MEDIA_TYPE,
            f"send the graph as one of: {known} (or multipart/form-data of them)",
        )
    try:
        quads = parse_bytes(body, fmt, source, base_iri=base)
    except RdfInputError as exc:
        raise WriteRefused(ErrorKind.BAD_REQUEST, str(exc)) from None
    return [q.triple for q in quads]


def _body_triples(req: Request, target: str) -> list[ox.Triple]:
    """The triples of a Graph Store body (or of every file of a multipart/form-data one),
    relative IRIs resolved against the graph's IRI (the request's URL for the default graph),
    as the Graph Store Protocol says."""
    base = target if target != DEFAULT_GRAPH else req.base_url
    if req.mimetype != "multipart/form-data":
        return _parsed(req.get_data(), req.mimetype or "", "the request body", base)
    return [
        triple
        for name, part in req.files.items(multi=True)
        for triple in _parsed(part.read(), part.mimetype, f"the part {name!r}", base)
    ]


@blueprint.route("/store", methods=["GET", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    """The Graph Store HTTP Protocol (indirect identification: ``?graph=IRI`` or ``?default``)."""
    service = state()
    try:
        target = _target(request)
        if request.method in ("GET", "HEAD"):  # HEAD: the same answer without its body
            return _read_graph(service, target)
        denied = refusal(request, service.settings.update_token)
        if denied is not None:
            return denied
        dataset = WritePolicy(service.settings, service.namespaces)
        existed = target == DEFAULT_GRAPH or target in service.graph_sizes
        writable = dataset.writable_graph(target)
        if request.method == "DELETE":
            if not existed:
                return text_error(404, f"no graph <{target}> in this dataset")
            return write(graph_delete(writable))
        triples = _body_triples(request, target)
        response = write(graph_put(writable, triples, replace=request.method == "PUT"))
        if response.status_code == 204 and not existed:
            response.status_code = 201
            response.headers["Location"] = target
        return response
    except WriteRefused as exc:
        return text_error(status_of(exc.kind), str(exc))
