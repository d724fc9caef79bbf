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
from ipkg.errors import ErrorKind, IpkgError
from ipkg.sparql.execution import QueryRequest, UpdateRequest
from ipkg.sparql.formats import (
    GRAPH,
    GRAPH_BODY_FORMATS,
    formats_for,
    from_media_type,
    media_types_of,
)
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
from ipkg.web.errors import negotiate_or_406
from ipkg.web.query_service import answer_for_request, run_for_request
from ipkg.web.state import ServiceState, state

log = logging.getLogger(__name__)
blueprint = Blueprint("graph_store", __name__)

READ_ONLY = (
    "This endpoint is read-only: SPARQL Update is disabled. "
    "(An operator can enable authenticated updates.)"
)


def refuse_unauthorised(req: Request, token: str) -> None:
    """Raises the 401/403 refusal of a write that is not allowed."""
    if not token:
        raise IpkgError(READ_ONLY, ErrorKind.FORBIDDEN)
    header = req.headers.get("Authorization", "")
    if not header:
        raise IpkgError(
            "writes need an 'Authorization: Bearer <token>' header", ErrorKind.UNAUTHORIZED
        )
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        raise IpkgError("the bearer token is not valid for writes", ErrorKind.FORBIDDEN)


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
    except SyntaxError as exc:
        raise IpkgError(f"SPARQL Update syntax error: {exc}", ErrorKind.BAD_REQUEST) from None
    except StoreError as exc:
        log.error("write failed in the store: %s", exc)
        raise IpkgError(f"the store refused the write: {exc}", ErrorKind.UPSTREAM) from None
    except IpkgError:
        raise
    except (OSError, ValueError) as exc:
        raise IpkgError(f"the update failed: {exc}", ErrorKind.BAD_REQUEST) from None
    return Response(status=204)


def isolated_update(text: str, base_iri: str) -> Change:
    """A change that runs a SPARQL Update in a query worker (no network, deadline, memory
    cap) on a copy of the data, and takes the changed copy it answers."""
    queries = state().queries

    def change(scratch: ox.Store) -> None:
        if not queries.capabilities.local_workers:  # declared by the store: none to run it in
            scratch.update(text, base_iri=base_iri)  # SERVICE/LOAD already refused by parse
            return
        job = UpdateRequest(text, scratch.dump(format=ox.RdfFormat.N_QUADS), base_iri)
        outcome = run_for_request(job)
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
    refuse_unauthorised(req, state().settings.update_token)
    update = with_using(
        text,
        _dataset_parameters(req, "using-graph-uri"),
        _dataset_parameters(req, "using-named-graph-uri"),
    )
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
        raise IpkgError(f"no graph <{target}> in this dataset", ErrorKind.NOT_FOUND)
    fmt = negotiate_or_406(formats_for(GRAPH), "a graph can be sent as: {offered}")
    pattern = "?s ?p ?o" if target == DEFAULT_GRAPH else f"GRAPH <{target}> {{ ?s ?p ?o }}"
    job = QueryRequest(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}",
        fmt.key,
        union_default_graph=False,
        max_rows=service.settings.max_rows,
        max_bytes=service.settings.max_result_bytes,
    )
    outcome = answer_for_request(job)
    return Response(outcome.body, content_type=outcome.content_type)


def _parsed(body: bytes, mimetype: str, source: str, base: str) -> list[ox.Triple]:
    fmt = from_media_type(mimetype, GRAPH_BODY_FORMATS)
    if fmt is None or fmt.rdf is None:
        known = ", ".join(media_types_of(GRAPH_BODY_FORMATS))
        raise WriteRefused(
            ErrorKind.UNSUPPORTED_MEDIA_TYPE,
            f"send the graph as one of: {known} (or multipart/form-data of them)",
        )
    try:
        quads = parse_bytes(body, fmt.rdf, source, base_iri=base)
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
    target = _target(request)
    if request.method in ("GET", "HEAD"):  # HEAD: the same answer without its body
        return _read_graph(service, target)
    refuse_unauthorised(request, service.settings.update_token)
    dataset = WritePolicy(service.settings, service.namespaces)
    existed = target == DEFAULT_GRAPH or target in service.graph_sizes
    writable = dataset.writable_graph(target)
    if request.method == "DELETE":
        if not existed:
            raise IpkgError(f"no graph <{target}> in this dataset", ErrorKind.NOT_FOUND)
        return write(graph_delete(writable))
    triples = _body_triples(request, target)
    response = write(graph_put(writable, triples, replace=request.method == "PUT"))
    if response.status_code == 204 and not existed:
        response.status_code = 201
        response.headers["Location"] = target
    return response
