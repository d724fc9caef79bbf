"""The query page at ``/``: a SPARQL editor with highlighting, a picker of the saved queries,
and a results table; the page's script (``static/query.js``) runs queries against ``/sparql``."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from ipkg.linkeddata.describe import prefixes
from ipkg.namespaces import COMMON_PREFIXES
from ipkg.web.caches import PAGE_DATA_BYTES
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


def known_prefixes() -> dict[str, str]:
    """The prefixes the editor knows: the dataset's own and the common vocabularies'."""
    ns = state().namespaces
    return {"ipkg": ns.ontology, "id": ns.instances, **COMMON_PREFIXES}


@blueprint.get("/query/terms.json")
def editor_terms() -> Response:
    """The IRIs the editor offers as completions, by the data version they were read at."""
    service = state()
    cache = service.caches.cache("page data", PAGE_DATA_BYTES, lambda v: len(repr(v)))
    terms = cache.get("editor terms", service.data_version)
    if terms is None:
        head = prefixes(service.namespaces) + "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
        terms = sorted({row["t"].value for row in page_select()(head + TERMS, {})})
        cache.put("editor terms", service.data_version, terms)
    return jsonify(terms)


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
        base=service.namespaces.base,
        initial=request.args.get("query") or STARTER_QUERY,
        shared="query" in request.args,
        known=json.dumps(known_prefixes()),
    )
    return Response(page, content_type="text/html; charset=utf-8")
