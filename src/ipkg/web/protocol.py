"""The SPARQL 1.1 Protocol at ``/sparql``: reading a query operation out of an HTTP request
(GET, POST form, POST direct), choosing the result format, and answering with the outcome of
running it in a query worker."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs

from flask import Blueprint, Request, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.sansio.utils import get_current_url

from ipkg.errors import ErrorKind, IpkgError
from ipkg.sparql.execution import QueryOutcome, QueryRequest
from ipkg.sparql.formats import ResultFormat, by_name, formats_for, kind_of_form
from ipkg.sparql.inspection import inspect_request
from ipkg.sparql.negotiation import choose
from ipkg.sparql.outbound import refuse_outbound
from ipkg.web.errors import answer_error
from ipkg.web.graph_store import answer_update
from ipkg.web.query_service import error_of, run_for_request
from ipkg.web.service_description import service_description
from ipkg.web.state import LOOKUP_KEY, OPERATION_KEY, state

blueprint = Blueprint("protocol", __name__)
PATH = "/sparql"

FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, Authorization",
    "Access-Control-Max-Age": "86400",
    "Access-Control-Expose-Headers": "Content-Type, Vary",
}
ANSWER_HEADERS = (*CORS_HEADERS.items(), ("Vary", "Accept"))


@dataclass(frozen=True)
class Operation:
    """A query or update as the protocol carries it, with its RDF dataset parameters."""

    kind: str  # "query" or "update"
    text: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    format: str | None = None  # the URL's format= (or output=) override of the Accept header


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IpkgError(
            f"{what} is not valid UTF-8 (byte {exc.start}); the protocol requires UTF-8",
            kind=ErrorKind.BAD_REQUEST,
        ) from None


def _form_fields(body: bytes) -> dict[str, list[str]]:
    text = _decode(body, "the form body")
    try:
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise IpkgError(
            "the form body has a percent-encoded value that is not UTF-8",
            kind=ErrorKind.BAD_REQUEST,
        ) from None


def _url_fields(req: Request) -> dict[str, list[str]]:
    raw = req.query_string
    try:
        return parse_qs(raw.decode("ascii", "strict"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise IpkgError(
            "the URL query string is not valid percent-encoded UTF-8",
            kind=ErrorKind.BAD_REQUEST,
        ) from None


def _one(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name, [])
    if len(values) > 1:
        raise IpkgError(
            f"the request has {len(values)} '{name}' parameters; send one", ErrorKind.BAD_REQUEST
        )
    return values[0] if values else None


def _charset_is_utf8(req: Request) -> None:
    charset = req.mimetype_params.get("charset")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise IpkgError(
            f"charset {charset} is not supported; send UTF-8", ErrorKind.UNSUPPORTED_MEDIA_TYPE
        )


def read_operation(req: Request) -> Operation | None:
    """The query or update in a request, or None for a GET without one (service description)."""
    url = _url_fields(req)
    fields = dict(url)
    if req.method == "POST":
        mimetype = req.mimetype
        if not mimetype:
            raise IpkgError(
                f"POST needs a Content-Type: {FORM}, {DIRECT_QUERY} or {DIRECT_UPDATE}",
                kind=ErrorKind.BAD_REQUEST,
            )
        _charset_is_utf8(req)
        if mimetype == FORM:
            for name, values in _form_fields(req.get_data()).items():
                fields[name] = fields.get(name, []) + values
        elif mimetype in (DIRECT_QUERY, DIRECT_UPDATE):
            kind = "query" if mimetype == DIRECT_QUERY else "update"
            if kind in url:
                raise IpkgError(
                    f"a direct POST carries the {kind} in its body, not also in the URL",
                    kind=ErrorKind.BAD_REQUEST,
                )
            fields[kind] = [_decode(req.get_data(), f"the {kind} body")]
        else:
            raise IpkgError(
                f"unsupported Content-Type {mimetype}; use {FORM}, "
                f"{DIRECT_QUERY} or {DIRECT_UPDATE}",
                kind=ErrorKind.UNSUPPORTED_MEDIA_TYPE,
            )
    query, update = _one(fields, "query"), _one(fields, "update")
    if query is not None and update is not None:
        raise IpkgError(
            "the request has both a query and an update; send one", ErrorKind.BAD_REQUEST
        )
    if update is not None and req.method == "GET":
        raise IpkgError("SPARQL Update must be sent with POST, not GET", ErrorKind.BAD_REQUEST)
    if query is None and update is None:
        if req.method == "POST":
            raise IpkgError(
                "the POST request has no 'query' or 'update' parameter", ErrorKind.BAD_REQUEST
            )
        return None
    if update is not None:
        return Operation("update", update, (), ())
    return Operation(
        "query",
        query or "",
        tuple(fields.get("default-graph-uri", [])),
        tuple(fields.get("named-graph-uri", [])),
        (url.get("format") or url.get("output") or [None])[0],
    )


def query_request(
    operation: Operation, form: str | None, format_key: str, *, has_from: bool, base_iri: str
) -> QueryRequest:
    """The worker's view of a protocol query: text, format, dataset and caps."""
    settings = state().settings
    given = bool(operation.default_graphs or operation.named_graphs)
    return QueryRequest(
        query=operation.text,
        format_key=format_key,
        default_graphs=operation.default_graphs if given else None,
        named_graphs=operation.named_graphs if given else None,
        union_default_graph=settings.union_default_graph and not has_from,
        max_rows=settings.max_rows,
        max_bytes=settings.max_result_bytes,
        base_iri=base_iri,
    )


@lru_cache(maxsize=512)
def _negotiated(accept: str | None, kind: str) -> ResultFormat | None:
    """The format for an Accept header: clients send the same few headers again and again."""
    return choose(accept, formats_for(kind))


def _chosen_format(kind: str, override: str | None, accept: str | None) -> ResultFormat:
    if override:
        chosen = by_name(override, kind)
        if chosen is None:
            names = ", ".join(f.key for f in formats_for(kind))
            raise IpkgError(
                f"format={override} cannot carry this {kind} result (available: {names})",
                kind=ErrorKind.NOT_ACCEPTABLE,
            )
        return chosen
    chosen = _negotiated(accept, kind)
    if chosen is None:
        offered = ", ".join(f.media_type for f in formats_for(kind))
        raise IpkgError(
            f"none of the Accept header's media types can carry this "
            f"{kind} result; available: {offered}",
            kind=ErrorKind.NOT_ACCEPTABLE,
        )
    return chosen


def _answer(outcome: QueryOutcome, cache: str) -> Response:
    if not outcome.ok:  # the one handler's answer, saying it was not from the cache either
        response = answer_error(error_of(outcome))
        response.headers["X-Result-Cache"] = cache
        return response
    # Headers given whole to the constructor: werkzeug's headers.set() scans the list each time.
    headers = [
        *ANSWER_HEADERS,
        ("X-Result-Count", str(outcome.rows)),
        ("X-Result-Cache", cache),
    ]
    return Response(outcome.body, headers=headers, content_type=outcome.content_type)


@lru_cache(maxsize=64)
def base_url(scheme: str, host: str, root_path: str, path: str) -> str:
    """``request.base_url`` (what a relative IRI in a query resolves against), made once per
    host: werkzeug decodes it to an IRI on every call."""
    return get_current_url(scheme, host, root_path, path)


def answer_key(operation: Operation, accept: str | None, environ: dict) -> tuple:
    """Everything a query's answer depends on besides the data: the same key always gets the
    same inspection, format and dataset, so a cached answer may skip them."""
    return (
        operation.text,  # exact: the parser tells " SELECT" from "\u3000SELECT"
        operation.format,
        accept,
        operation.default_graphs,
        operation.named_graphs,
        environ.get("HTTP_HOST"),  # with the fixed path, what the base IRI depends on
        environ.get("wsgi.url_scheme"),
        environ.get("SCRIPT_NAME"),
    )


def answer_query(operation: Operation) -> Response:
    """Runs a query operation (or finds its answer in the result cache) and turns the outcome
    into the HTTP response."""
    service = state()
    settings = service.settings
    if len(operation.text) > settings.max_query_length:
        raise IpkgError(
            f"the query has {len(operation.text)} characters; "
            f"the limit is {settings.max_query_length}",
            kind=ErrorKind.URI_TOO_LONG if request.method == "GET" else ErrorKind.TOO_LARGE,
        )
    accept = request.headers.get("Accept")
    cache = service.results
    looked_up = request.environ.get(LOOKUP_KEY)
    if looked_up is not None:  # the WSGI layer in front looked it up already
        key, version, kept = looked_up
    else:
        key, version = answer_key(operation, accept, request.environ), service.data_version
        kept = cache.get(key, version) if cache.enabled else None
    if kept is not None:
        return _answer(kept, "hit")
    inspection = inspect_request(operation.text)
    if inspection.form == "UPDATE":
        raise IpkgError(
            "this is a SPARQL Update; send it as 'update', not 'query'", ErrorKind.BAD_REQUEST
        )  # the inspection refused SERVICE (and, for a text of no known form, LOAD) already
    fmt = _chosen_format(kind_of_form(inspection.form), operation.format, accept)
    job = query_request(
        operation,
        inspection.form,
        fmt.key,
        has_from=inspection.has_dataset_clause,
        base_iri=base_url(request.scheme, request.host, request.root_path, request.path),
    )
    outcome = run_for_request(job)
    if cache.enabled:
        cache.put(key, version, outcome)  # only a complete 200 answer is kept
    return _answer(outcome, "miss" if cache.enabled else "off")


@blueprint.route(PATH, methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    """The SPARQL 1.1 Protocol endpoint (and its service description on a bare GET)."""
    if request.method == "OPTIONS":
        return Response(status=204)
    operation = request.environ.get(OPERATION_KEY) or read_operation(request)
    if operation is None:
        return service_description(request)
    if len(operation.text) > state().settings.max_query_length:
        raise IpkgError(
            f"the {operation.kind} has {len(operation.text)} characters; "
            f"the limit is {state().settings.max_query_length}",
            kind=ErrorKind.URI_TOO_LONG if request.method == "GET" else ErrorKind.TOO_LARGE,
        )
    if operation.kind == "update":
        inspect_request(operation.text)
        refuse_outbound(operation.text, update=True)
        return answer_update(operation.text, request)  # 403 unless updates are enabled
    return answer_query(operation)


def _protocol_headers(response: Response) -> Response:
    if request.path == PATH and "Access-Control-Allow-Origin" not in response.headers:
        response.headers.update(CORS_HEADERS)
        response.vary.add("Accept")
    return response


@blueprint.record_once
def _install_protocol_headers(setup: BlueprintSetupState) -> None:
    # App-level, not the blueprint's: a blueprint's after_request does not run when routing
    # fails (405 wrong method), and those answers need CORS headers too.
    setup.app.after_request(_protocol_headers)
