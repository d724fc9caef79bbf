"""What every page of the site shares, so that blueprints need not import each other: the
page formats (HTML and the RDF documents), the query runner pages read the store with, the
reader's languages, the site's URLs, and the catalogue of saved queries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from flask import current_app, request

from ipkg.linkeddata.describe import Select, prefixes
from ipkg.linkeddata.labels import pick, preferred_languages
from ipkg.queries.saved import Catalogue
from ipkg.sparql.formats import BY_KEY, HTML
from ipkg.web.query_service import request_select
from ipkg.web.state import state

API_EXTENSION_KEY = "ipkg.api"  # where the saved-query API keeps its state on the app
RDF_CHOICES = [BY_KEY[key] for key in ("turtle", "jsonld", "ntriples", "rdfxml")]
PAGE_CHOICES = [HTML, *RDF_CHOICES]
RESOURCE_406 = "Not Acceptable: this resource is available as {offered}"


def page_select(max_rows: int | None = None) -> Select:
    """The runner a page reads the store with: each query through the query service, counted
    against the reader's share and deadline (and the row cap unless ``max_rows`` is given)."""
    return request_select(max_rows)


def languages() -> tuple[str, ...]:
    """The label languages the reader asked for, best first, then English."""
    return preferred_languages(request.headers.get("Accept-Language"))


def link_header(links: list[tuple[str, str]]) -> str:
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"' for url, media in links)


def catalogue() -> Catalogue:
    """The saved queries the API of the current app serves."""
    return current_app.extensions[API_EXTENSION_KEY].catalogue


def graph_names() -> list[str]:
    """The dumps this service offers: each named graph under ``<base>graph/``, and complete."""
    prefix = state().namespaces.graph("")
    names = sorted(g[len(prefix) :] for g in state().graph_sizes if g.startswith(prefix))
    return [*[n for n in names if n and "/" not in n], "complete"]


# Labels instead of IRIs where people read results (saved-query pages, /labels, parameters).
MAX_IRIS = 200  # per request of /labels and per table
MAX_CHOICES = 500
# IRIs that can be written between <> in a query as they are (RFC 3987 minus what SPARQL bans).
WRITABLE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20\x7f<>\"{}|^`\\]*$")
LABELS = "SELECT ?x ?l WHERE { VALUES ?x { %s } ?x rdfs:label|skos:prefLabel ?l }"
# The smallest class the example value belongs to: its most specific one.
CLASS_OF = """SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { %s a ?c . ?x a ?c . FILTER(isIRI(?c)) }
GROUP BY ?c ORDER BY ?n ?c LIMIT 1"""
MEMBERS = """SELECT ?x ?l WHERE { ?x a %s . FILTER(isIRI(?x)) OPTIONAL { ?x rdfs:label ?l } }
LIMIT %d"""


def _is_iri(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def writable(iris: Iterable[str]) -> list[str]:
    """The distinct IRIs that are safe to write into a query, in order (the others are left
    out one by one: they get no label, the rest of the batch does)."""
    return list(dict.fromkeys(i for i in iris if WRITABLE_IRI.match(i) and _is_iri(i)))


def labels_of(
    run: Select, iris: Iterable[str], wanted: tuple[str, ...]
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


def choices_for(run: Select, example: str, wanted: tuple[str, ...]) -> list[tuple[str, str]]:
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
