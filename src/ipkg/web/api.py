"""The saved-query API: ``GET /api/queries`` lists the saved queries and
``GET /api/queries/<name>[.ext]`` runs one with typed, bound parameters, in the format the
extension or ``Accept`` asks for, a page at a time, answered from an in-memory cache that
belongs to the store and so is emptied by a reload (``ETag`` and ``304``: ``http_caching``)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, render_template, request
from markupsafe import Markup

from ipkg.errors import ErrorKind, IpkgError
from ipkg.linkeddata.describe import prefixes
from ipkg.linkeddata.labels import local_name
from ipkg.namespaces import COMMON_PREFIXES
from ipkg.queries.binding import BindingError, substitutions
from ipkg.queries.saved import Catalogue, SavedQuery, read_catalogue
from ipkg.sparql.execution import QueryOutcome, QueryRequest
from ipkg.sparql.formats import GRAPH, JSON, SOLUTIONS, ResultFormat, formats_for, kind_of_form
from ipkg.sparql.inspection import inspect_request
from ipkg.sparql.results_json import term_from_json
from ipkg.sparql.serialisation import ResultTooLarge, write_solutions
from ipkg.web.caches import VersionedCache
from ipkg.web.charts import NUMERIC_DATATYPES, chart_for
from ipkg.web.errors import negotiate_or_406
from ipkg.web.pages import API_EXTENSION_KEY, HTML, choices_for, labels_of, languages, page_select
from ipkg.web.query_service import answer_for_request
from ipkg.web.state import ServiceState, state
from ipkg.web.urls import absolute, route, site

blueprint = Blueprint("api", __name__)

CATALOGUE_JSON = JSON
API_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link, X-Result-Count, X-Total-Count",
}
DATE_DATATYPES = frozenset(  # shown unbroken: 2023-12-31 must not wrap at its hyphens
    "http://www.w3.org/2001/XMLSchema#" + name
    for name in ("date", "dateTime", "gYear", "gYearMonth")
)
Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = tuple[Term | None, ...]


@dataclass(frozen=True)
class Solutions:
    """The whole result of a SELECT: its variables and rows, in order."""

    variables: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Answer:
    """A response ready to send again: body, type, and the headers that go with it."""

    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def answer_bytes(found: Answer) -> int:
    """What a kept answer costs: its body and headers."""
    return len(found.body) + sum(len(k) + len(v) for k, v in found.headers)


def solutions_bytes(found: Solutions) -> int:
    """What kept solutions cost: the text of their terms and a slot per cell."""
    cells = sum(len(str(t)) + 64 if t is not None else 8 for row in found.rows for t in row)
    return cells + sum(len(v) for v in found.variables)


@dataclass
class ApiState:
    """The catalogue and the result caches of one app, that is of one store (caches from the
    app's registry, emptied by a write)."""

    catalogue: Catalogue
    answers: VersionedCache[Answer]
    results: VersionedCache[Solutions]


def api_state() -> ApiState:
    """The API state of the app handling the current request."""
    return current_app.extensions[API_EXTENSION_KEY]


# Reading the request -----------------------------------------------------------------------


def _split_name(name: str, catalogue: Catalogue) -> tuple[SavedQuery, str | None]:
    query = catalogue.get(name)
    extension = None
    if query is None and "." in name:
        stem, _, extension = name.rpartition(".")
        query = catalogue.get(stem)
    if query is None:
        known = ", ".join(catalogue.names) or "none"
        raise IpkgError(
            f"no saved query named '{name}' (saved queries: {known})", ErrorKind.NOT_FOUND
        )
    return query, extension


def _format(query: SavedQuery, extension: str | None) -> ResultFormat:
    candidates = [*formats_for(kind_of_form(query.form)), HTML]
    if extension is not None:
        for candidate in candidates:
            if candidate.extension == extension.lower():
                return candidate
        offered = ", ".join("." + c.extension for c in candidates)
        raise IpkgError(
            f"'{query.name}' has no .{extension} form (available: {offered})", ErrorKind.NOT_FOUND
        )
    return negotiate_or_406(candidates, "the Accept header allows none of: {offered}")


def _page(query: SavedQuery, given: dict[str, list[str]]) -> int:
    values = given.get("page", [])
    if not values:
        return 1
    if query.pagination is None:
        raise IpkgError(f"parameter 'page': '{query.name}' is not paginated", ErrorKind.BAD_REQUEST)
    if len(values) > 1 or not re.fullmatch(r"[0-9]{1,9}", values[0]) or int(values[0]) < 1:
        raise IpkgError(
            "parameter 'page': expected one page number: 1, 2, 3, ...", ErrorKind.BAD_REQUEST
        )
    return int(values[0])


# Running the query ---------------------------------------------------------------------------


def _job(query: SavedQuery, format_key: str, bindings: dict[str, str]) -> QueryRequest:
    settings = state().settings
    return QueryRequest(
        query=query.text,
        format_key=format_key,
        union_default_graph=not inspect_request(query.text).has_dataset_clause,
        max_rows=settings.max_rows,
        max_bytes=settings.max_result_bytes,
        substitutions=bindings,
    )


def _run(query: SavedQuery, format_key: str, bindings: dict[str, str]) -> QueryOutcome:
    return answer_for_request(_job(query, format_key, bindings))


def solutions_of(body: bytes) -> Solutions:
    """The rows of a SPARQL JSON result, as terms."""
    document = json.loads(body)
    variables = tuple(document["head"]["vars"])
    rows = tuple(
        tuple(term_from_json(b[v]) if v in b else None for v in variables)
        for b in document["results"]["bindings"]
    )
    return Solutions(variables, rows)


def _solutions(query: SavedQuery, bindings: dict[str, str]) -> Solutions:
    cache, version = api_state().results, state().data_version
    key = (query.name, tuple(sorted(bindings.items())))
    cached = cache.get(key, version)
    if cached is not None:
        return cached
    solutions = solutions_of(_run(query, "json", bindings).body)
    cache.put(key, version, solutions)
    return solutions


def _graph(query: SavedQuery, bindings: dict[str, str]) -> list[ox.Triple]:
    body = _run(query, "ntriples", bindings).body
    return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]


# Writing the answer --------------------------------------------------------------------------


def iri_href(iri: str, base: str, root: str = "/") -> str | None:
    """Where a link to an IRI goes: its page on this site (under ``root``) when it is under
    the dataset base, the IRI itself when it is http(s), else nowhere."""
    if iri.startswith(base):
        return root + iri[len(base) :]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def short_iri(iri: str) -> str:
    """An IRI written with a common prefix when one fits."""
    for prefix, namespace in COMMON_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def cell(term: Term | None, base: str, root: str = "/") -> dict[str, str | None]:
    """What a table cell shows for a term."""
    if term is None:
        return {"kind": "unbound", "text": ""}
    if isinstance(term, ox.NamedNode):
        return {"kind": "iri", "text": term.value, "href": iri_href(term.value, base, root)}
    if isinstance(term, ox.BlankNode):
        return {"kind": "bnode", "text": "_:" + term.value}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"kind": "literal", "text": term.value, "lang": term.language}
        datatype = term.datatype.value
        shown = None if datatype.endswith("#string") else short_iri(datatype)
        numeric = datatype in NUMERIC_DATATYPES
        kind = "number" if numeric else "date" if datatype in DATE_DATATYPES else "literal"
        return {"kind": kind, "text": term.value, "type": shown}
    return {"kind": "literal", "text": str(term)}


def _page_query(number: int) -> str:
    """The request's query string with ``page`` set to ``number``."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    return urlencode([*args, ("page", str(number))])


def _link_header(page: int, last: int) -> str:
    def url(number: int) -> str:
        return absolute(request.path) + "?" + _page_query(number)

    links = [(1, "first")]
    if page > 1:
        links.append((page - 1, "prev"))
    if page < last:
        links.append((page + 1, "next"))
    links.append((last, "last"))
    return ", ".join(f'<{url(n)}>; rel="{rel}"' for n, rel in links)


def _format_links(query: SavedQuery) -> list[tuple[str, str]]:
    suffix = "?" + urlencode(list(request.args.items(multi=True))) if request.args else ""
    return [
        (f.extension, route("api.saved_query", name=f"{query.name}.{f.extension}") + suffix)
        for f in formats_for(kind_of_form(query.form))
        if f.key in ("json", "xml", "csv", "tsv", "turtle", "jsonld", "ntriples")
    ]


def _labelled(rows: list[list[dict]]) -> list[list[dict]]:
    """The table's IRI cells with the label, in the reader's language, of those that have one."""
    iris = [c["text"] for row in rows for c in row if c["kind"] == "iri"]
    found = labels_of(page_select(), iris, languages())
    for row in rows:
        for c in row:
            if c["kind"] == "iri" and c["text"] in found:
                c["label"], c["label_lang"] = found[c["text"]]
    return rows


UNITS = """SELECT ?key ?unit WHERE {
  VALUES ?key { %s }
  { ?key ipkg:unit ?unit } UNION { ?statistic rdfs:label ?key ; ipkg:unit ?unit }
}"""


def _units(rows: Sequence[Row]) -> list[str]:
    """Each row's unit, by name: that of the statistic the row names (by IRI or label)."""
    keys = {str(t) for row in rows for t in row if isinstance(t, ox.NamedNode | ox.Literal)}
    keys = {k for k in keys if "\n" not in k and len(k) < 1000}
    if not keys:
        return [""] * len(rows)
    run = page_select()
    head = prefixes(state().namespaces)
    found = {str(r["key"]): r["unit"].value for r in run(head + UNITS % " ".join(keys), {})}
    named = labels_of(run, set(found.values()), languages())
    unit_name = {iri: named[iri][0] if iri in named else local_name(iri) for iri in found.values()}
    units = []
    for row in rows:
        hits = [found[str(t)] for t in row if t is not None and str(t) in found]
        units.append(unit_name[hits[0]] if hits else "")
    return units


def _parameter_widgets(query: SavedQuery) -> dict[str, list[tuple[str, str]]]:
    """For each IRI parameter, its (value, label) choices: the allowed values, or else the
    resources of its default value's class."""
    run, wanted = page_select(), languages()
    widgets: dict[str, list[tuple[str, str]]] = {}
    for p in query.params:
        if p.allowed:
            named = labels_of(run, p.allowed, wanted)
            widgets[p.name] = [(a, named[a][0] if a in named else a) for a in p.allowed]
        elif p.type == "iri" and p.default:
            widgets[p.name] = choices_for(run, p.default, wanted)
    return widgets


def _html(query: SavedQuery, **context) -> bytes:
    page = render_template(
        "api_result.html",
        service=state(),
        query=query,
        given=request.args,
        formats=_format_links(query),
        pager_args=_page_query,
        widgets=_parameter_widgets(query),
        **context,
    )
    return page.encode("utf-8")


def _select_answer(
    query: SavedQuery, fmt: ResultFormat, bindings: dict[str, str], page: int
) -> Answer:
    solutions = _solutions(query, bindings)
    total = len(solutions.rows)
    rows: Sequence[Row] = solutions.rows
    headers = [("X-Total-Count", str(total))]
    last = 1
    if query.pagination:
        last = max(1, math.ceil(total / query.pagination))
        if page > last:
            raise IpkgError(f"page {page} is past the last page ({last})", ErrorKind.NOT_FOUND)
        start = (page - 1) * query.pagination
        rows = rows[start : start + query.pagination]
        headers.append(("Link", _link_header(page, last)))
    headers.append(("X-Result-Count", str(len(rows))))
    if fmt is HTML:
        base = state().namespaces.base
        show_chart = "statistics" in query.tags
        body = _html(
            query,
            variables=solutions.variables,
            rows=_labelled([[cell(t, base, site()) for t in row] for row in rows]),
            chart=Markup(chart_for(solutions.variables, rows, units=_units(rows)) or "")
            if show_chart
            else "",
            page=page,
            last=last,
            total=total,
        )
    else:
        settings = state().settings
        try:
            body, _count = write_solutions(
                fmt, solutions.variables, rows, settings.max_rows, settings.max_result_bytes
            )
        except ResultTooLarge as exc:
            raise IpkgError(str(exc), ErrorKind.BAD_REQUEST) from None
    return Answer(body, fmt.content_type, tuple(headers))


def _ask_answer(query: SavedQuery, fmt: ResultFormat, bindings: dict[str, str]) -> Answer:
    if fmt is HTML:
        value = json.loads(_run(query, "json", bindings).body)["boolean"]
        body = _html(query, boolean=value)
    else:
        body = _run(query, fmt.key, bindings).body
    return Answer(body, fmt.content_type, (("X-Result-Count", "1"),))


def _graph_answer(query: SavedQuery, fmt: ResultFormat, bindings: dict[str, str]) -> Answer:
    if fmt is HTML:
        base = state().namespaces.base
        triples = _graph(query, bindings)
        root = site()
        rows = _labelled(
            [[cell(x, base, root) for x in (t.subject, t.predicate, t.object)] for t in triples]
        )
        body = _html(
            query, variables=("subject", "predicate", "object"), rows=rows, total=len(rows)
        )
        count = len(rows)
    else:
        outcome = _run(query, fmt.key, bindings)
        body, count = outcome.body, outcome.rows
    return Answer(body, fmt.content_type, (("X-Result-Count", str(count)),))


def answer(query: SavedQuery, fmt: ResultFormat, bindings: dict[str, str], page: int) -> Answer:
    """The response to a call, from the cache when the same call was answered before."""
    api, version = api_state(), state().data_version
    # Links in the answer (Link header, HTML pager) repeat the request's host and arguments.
    spelled = (request.host_url, tuple(sorted(request.args.items(multi=True))), languages())
    key = (query.name, fmt.key, tuple(sorted(bindings.items())), page, spelled)
    cached = api.answers.get(key, version)
    if cached is not None:
        return cached
    kind = kind_of_form(query.form)
    if kind == SOLUTIONS:
        fresh = _select_answer(query, fmt, bindings, page)
    elif kind == GRAPH:
        fresh = _graph_answer(query, fmt, bindings)
    else:
        fresh = _ask_answer(query, fmt, bindings)
    api.answers.put(key, version, fresh)
    return fresh


def _response(found: Answer) -> Response:
    response = Response(found.body, content_type=found.content_type)
    for name, value in found.headers:
        response.headers[name] = value
    return response


# Routes --------------------------------------------------------------------------------------


def entry(query: SavedQuery) -> dict:
    """A saved query as the catalogue lists it."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "tags": list(query.tags),
        "form": query.form,
        "pagination": query.pagination,
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "description": p.description,
                "default": p.default,
                "allowed": list(p.allowed),
            }
            for p in query.params
        ],
        "url": route("api.saved_query", name=query.name),
        "formats": [f.extension for f in formats_for(kind_of_form(query.form))] + ["html"],
        "sparql": query.sparql,
    }


@blueprint.get("/api/queries")
@blueprint.get("/api/queries.<extension>")
def catalogue(extension: str | None = None) -> Response:
    """Every saved query, as JSON or as an HTML page."""
    if extension not in (None, "json", "html"):
        raise IpkgError(
            f"the catalogue has no .{extension} form (available: .json, .html)",
            ErrorKind.NOT_FOUND,
        )
    if extension is None:
        chosen = negotiate_or_406(
            [CATALOGUE_JSON, HTML], "the catalogue is available as application/json or text/html"
        )
        extension = "html" if chosen is HTML else "json"
    queries = api_state().catalogue.queries
    if extension == "html":
        page = render_template("api_catalogue.html", service=state(), queries=queries)
        response = Response(page, content_type="text/html; charset=utf-8")
    else:
        body = {
            "queries": [entry(q) for q in queries],
            "openapi": route("openapi.openapi_document"),
        }
        response = current_app.json.response(body)
    response.vary.add("Accept")
    return response


@blueprint.get("/api/queries/<name>")
def saved_query(name: str) -> Response:
    """Runs a saved query with the parameters of the URL."""
    query, extension = _split_name(name, api_state().catalogue)
    fmt = _format(query, extension)
    given = request.args.to_dict(flat=False)
    page = _page(query, given)
    reserved = ("page",) if query.pagination else ()
    try:
        bindings = substitutions(query, given, reserved)  # BindingError: 400
    except BindingError as exc:
        if fmt is not HTML:
            raise
        body = _html(
            query, invalid={exc.name: exc.reason}
        )  # the form again, the message by the field
        return Response(body, 400, content_type="text/html; charset=utf-8")
    return _response(answer(query, fmt, bindings, page))


@blueprint.after_request
def _api_headers(response: Response) -> Response:
    response.headers.update(API_HEADERS)
    response.vary.add("Accept")
    response.vary.add("Accept-Language")  # labels in the HTML pages
    return response


def install(app: Flask, service: ServiceState) -> None:
    """Reads the saved queries, gives the app its caches and metrics, and adds the routes."""
    catalogue = read_catalogue(service.settings.queries, rebase=service.namespaces.rebase_text)
    budget = service.settings.result_cache_bytes // 4
    api = ApiState(
        catalogue,
        service.caches.cache("saved-query answers", budget, answer_bytes),
        service.caches.cache("saved-query results", budget, solutions_bytes),
    )
    app.extensions[API_EXTENSION_KEY] = api
    service.metrics.gauge(
        "ipkg_api_cache_hits_total",
        "Saved-query calls answered from the cache.",
        lambda: api.answers.stats.hits,
    )
    service.metrics.gauge(
        "ipkg_api_cache_misses_total",
        "Saved-query calls that ran the query (or rendered a cached result).",
        lambda: api.answers.stats.misses,
    )
    service.metrics.gauge(
        "ipkg_api_cache_entries",
        "Responses held in the saved-query cache.",
        lambda: len(api.answers),
    )
    app.register_blueprint(blueprint)
