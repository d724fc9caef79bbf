"""The query page at ``/``: a SPARQL editor with highlighting, a picker of the saved queries,
and a results table; the page's script (``static/query.js``) runs queries against ``/sparql``."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ipkg.web.pages import catalogue, site
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
    )
    return Response(page, content_type="text/html; charset=utf-8")
