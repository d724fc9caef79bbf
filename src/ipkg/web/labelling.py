"""Labels instead of IRIs where people read results: the names of a batch of IRIs in the
reader's language (for the saved-query pages and, through ``GET /labels``, the query page's
table), and the resources a parameter may take (the members of its default value's class)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ipkg.errors import ErrorKind, IpkgError
from ipkg.web.pages import MAX_IRIS, labels_of, languages, page_select

blueprint = Blueprint("labelling", __name__)


@blueprint.get("/labels")
def labels() -> Response:
    """``GET /labels?iri=…&iri=…``: {iri: {label, lang}} in the reader's language, as JSON."""
    iris = request.args.getlist("iri")
    if len(iris) > MAX_IRIS:
        raise IpkgError(
            f"{len(iris)} 'iri' parameters; at most {MAX_IRIS} per request", ErrorKind.BAD_REQUEST
        )
    found = labels_of(page_select(), iris, languages())
    response = jsonify({iri: {"label": text, "lang": lang} for iri, (text, lang) in found.items()})
    response.vary.add("Accept-Language")
    return response
