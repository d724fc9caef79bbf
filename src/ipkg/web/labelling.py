"""Labels instead of IRIs where people read results: the names of a batch of IRIs in the
reader's language (for the saved-query pages and, through ``GET /labels``, the query page's
table), and the resources a parameter may take (the members of its default value's class)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from flask import Blueprint, Response, jsonify, request

from ipkg.linkeddata.describe import Runner, prefixes
from ipkg.linkeddata.labels import pick
from ipkg.web.errors import text_error
from ipkg.web.resources import languages, pool_runner
from ipkg.web.state import state

blueprint = Blueprint("labelling", __name__)

MAX_IRIS = 200  # per request of /labels and per table
MAX_CHOICES = 500
# IRIs that can be written between <> in a query as they are (RFC 3987 minus what SPARQL bans).
WRITABLE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*$")
LABELS = "SELECT ?x ?l WHERE { VALUES ?x { %s } ?x rdfs:label|skos:prefLabel ?l }"
# The smallest class the example value belongs to: its most specific one.
CLASS_OF = """SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { %s a ?c . ?x a ?c . FILTER(isIRI(?c)) }
GROUP BY ?c ORDER BY ?n ?c LIMIT 1"""
MEMBERS = """SELECT ?x ?l WHERE { ?x a %s . FILTER(isIRI(?x)) OPTIONAL { ?x rdfs:label ?l } }
LIMIT %d"""


def writable(iris: Iterable[str]) -> list[str]:
    """The distinct IRIs that are safe to write into a query, in order."""
    return list(dict.fromkeys(i for i in iris if WRITABLE_IRI.match(i)))


def labels_of(
    run: Runner, iris: Iterable[str], wanted: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """Each labelled IRI's (label, language) in the reader's language, at most MAX_IRIS."""
    chosen = writable(iris)[:MAX_IRIS]
    if not chosen:
        return {}
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    query = prefixes(state().namespaces) + LABELS % " ".join(f"<{i}>" for i in chosen)
    for row in run(query, {}):
        label = row["l"]
        if hasattr(label, "language"):
            found[row["x"].value].append((label.value, label.language or ""))
    return {iri: best for iri, options in found.items() if (best := pick(options, wanted))}


def choices_for(run: Runner, example: str, wanted: tuple[str, ...]) -> list[tuple[str, str]]:
    """(IRI, label) of the resources of the example value's most specific class, by label."""
    if not writable([example]):
        return []
    head = prefixes(state().namespaces)
    classes = run(head + CLASS_OF % f"<{example}>", {})
    if not classes:
        return []
    rows = run(head + MEMBERS % (f"<{classes[0]['c'].value}>", MAX_CHOICES * 4), {})
    options: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        labels = options[row["x"].value]
        if "l" in row:
            labels.append((row["l"].value, getattr(row["l"], "language", None) or ""))
    named = {iri: (pick(ls, wanted) or (iri, ""))[0] for iri, ls in options.items()}
    return sorted(named.items(), key=lambda item: item[1].casefold())[:MAX_CHOICES]


@blueprint.get("/labels")
def labels() -> Response:
    """``GET /labels?iri=…&iri=…``: {iri: {label, lang}} in the reader's language, as JSON."""
    iris = request.args.getlist("iri")
    if len(iris) > MAX_IRIS:
        return text_error(400, f"{len(iris)} 'iri' parameters; at most {MAX_IRIS} per request")
    found = labels_of(pool_runner(), iris, languages())
    response = jsonify({iri: {"label": text, "lang": lang} for iri, (text, lang) in found.items()})
    response.vary.add("Accept-Language")
    return response
