"""The query page at ``/``: a SPARQL editor with highlighting, a picker of the saved queries,
and a results table; the page's script (``static/query.js``) runs queries against ``/sparql``."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from ipkg.errors import ErrorKind, IpkgError
from ipkg.linkeddata.describe import prefixes, rows_from_json
from ipkg.namespaces import COMMON_PREFIXES
from ipkg.web.charts import MAX_BARS, charts_for
from ipkg.web.pages import catalogue, page_select
from ipkg.web.state import state
from ipkg.web.urls import route

blueprint = Blueprint("home", __name__)

STARTER_QUERY = """\
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?resource ?label WHERE {
  ?resource rdfs:label ?label .
  FILTER(LANG(?label) = "en")
}
ORDER BY ?label
LIMIT 20
"""


# The terms the editor completes: the ontology's classes and properties and every predicate and
# class the data uses (a capped, cached list, refreshed when a write changes the data).
TERMS = """SELECT DISTINCT ?t WHERE {
  { ?t a ?kind . VALUES ?kind { owl:Class rdfs:Class owl:ObjectProperty owl:DatatypeProperty
                                owl:AnnotationProperty rdf:Property } }
  UNION { [] ?t [] } UNION { [] a ?t }
  FILTER(isIRI(?t))
} LIMIT 5000"""
# What the graph holds, counted for the home page's opening paragraph.
HOLDINGS = """SELECT ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES ?kind { ipkg:Person ipkg:Institution ipkg:Statistic ipkg:Sentence }
  ?x a ?kind
} GROUP BY ?kind"""
# The saved queries a newcomer is pointed to first (those of them the catalogue has).
FEATURED = (
    "talent-growth",
    "people-and-posts",
    "statistics",
    "hubs",
    "sentence-behind-fact",
    "timeline",
)


def holdings() -> dict[str, int]:
    """How many people, institutions, statistics and sentences the graph holds, by the local
    name of the class; read once per data version."""
    service = state()

    def counted() -> dict[str, int]:
        rows = page_select()(prefixes(service.namespaces) + HOLDINGS, {})
        return {row["kind"].value.rsplit("#", 1)[-1]: int(row["n"].value) for row in rows}

    return service.caches.page_data("home holdings", service.data_version, counted)


def featured(queries: list) -> list:
    """The featured saved queries the catalogue has, in the order of FEATURED."""
    by_name = {q.name: q for q in queries}
    return [by_name[name] for name in FEATURED if name in by_name]


def known_prefixes() -> dict[str, str]:
    """The prefixes the editor knows: the dataset's own and the common vocabularies'."""
    ns = state().namespaces
    return {"ipkg": ns.ontology, "id": ns.instances, **COMMON_PREFIXES}


@blueprint.get("/query/terms.json")
def editor_terms() -> Response:
    """The IRIs the editor offers as completions, by the data version they were read at."""
    service = state()

    def read() -> list[str]:
        head = prefixes(service.namespaces) + "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
        return sorted({row["t"].value for row in page_select()(head + TERMS, {})})

    return jsonify(service.caches.page_data("editor terms", service.data_version, read))


MAX_CHART_BODY = 256 * 1024


@blueprint.post("/query/chart.svg")
def result_chart() -> Response:
    """The server's SVG bar chart (``charts.py``, as on the saved-query pages) of a result the
    query page already has: a SPARQL JSON result of a label column and a numeric column, sent
    back by the page, so the query is not run again."""
    body = request.get_data(cache=False)
    if len(body) > MAX_CHART_BODY:
        raise IpkgError(f"the result is over {MAX_CHART_BODY} bytes", ErrorKind.TOO_LARGE)
    try:
        variables = json.loads(body)["head"]["vars"]
        rows = [[row.get(v) for v in variables] for row in rows_from_json(body)]
    except (ValueError, KeyError, TypeError) as exc:
        raise IpkgError(f"expected a SPARQL JSON result: {exc}") from None
    title = request.args.get("title", "")[:200]
    svg = charts_for(variables, rows[:MAX_BARS], title, narrow=request.args.get("narrow") == "1")
    if not svg:
        raise IpkgError("the result has no numeric column to chart", ErrorKind.INVALID)
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon for clients that ask for it by the old name."""
    return redirect(route("static", filename="favicon.svg"), 301)


@blueprint.get("/")
def home() -> Response:
    """The query page; ``?query=`` fills the editor (and the script runs it)."""
    service = state()
    page = render_template(
        "home.html",
        service=service,
        queries=catalogue().queries,
        holdings=holdings(),
        featured=featured(catalogue().queries),
        base=service.namespaces.base,
        initial=request.args.get("query") or STARTER_QUERY,
        shared="query" in request.args,
        known=json.dumps(known_prefixes()),
    )
    return Response(page, content_type="text/html; charset=utf-8")
