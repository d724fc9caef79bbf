"""The query page at ``/``: a SPARQL editor with highlighting, a picker of the saved queries,
and a results table; the page's script (``static/query.js``) runs queries against ``/sparql``."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ipkg.linkeddata.describe import prefixes
from ipkg.namespaces import COMMON_PREFIXES
from ipkg.web.pages import catalogue, page_select, site
from ipkg.web.state import state

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
TERMS_KEY = "ipkg.editor-terms"


def known_prefixes() -> dict[str, str]:
    """The prefixes the editor knows: the dataset's own and the common vocabularies'."""
    ns = state().namespaces
    return {"ipkg": ns.ontology, "id": ns.instances, **COMMON_PREFIXES}


@blueprint.get("/query/terms.json")
def editor_terms() -> Response:
    """The IRIs the editor offers as completions, by the data version they were read at."""
    service = state()
    cached = current_app.extensions.get(TERMS_KEY)
    if cached is None or cached[0] != service.data_version:
        head = prefixes(service.namespaces) + "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
        terms = sorted({row["t"].value for row in page_select()(head + TERMS, {})})
        cached = (service.data_version, terms)
        current_app.extensions[TERMS_KEY] = cached
    return jsonify(cached[1])


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon for clients that ask for it by the old name."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@blueprint.get("/")
def home() -> Response:
    """The query page; ``?query=`` fills the editor (and the script runs it)."""
    service = state()
    page = render_template(
        "home.html",
        service=service,
        queries=catalogue().queries,
        base=service.namespaces.base,
        site=site(),
        initial=request.args.get("query") or STARTER_QUERY,
        shared="query" in request.args,
        known=json.dumps(known_prefixes()),
    )
    return Response(page, content_type="text/html; charset=utf-8")
