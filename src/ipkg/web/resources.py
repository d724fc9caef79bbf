"""Dereferenceable IRIs: every IRI the dataset mints under its base answers at the service.

URL patterns (Cool URIs, the 303 pattern with one document per format):

- ``/id/<path>``: the IRI of a thing. ``303 See Other`` to its document, chosen by ``Accept``:
  ``/doc/<path>`` (HTML) or ``/doc/<path>.ttl|.jsonld|.nt|.rdf``; a sentence of the article
  goes to ``/article#sNN``. Unknown IRIs get a 404 page, unacceptable types a 406.
- ``/doc/<path>``: the document about it, HTML or RDF by ``Accept`` (``Vary: Accept``);
  ``/doc/<path>.<ext>`` one format. Every answer lists the alternates in ``Link`` headers.
- ``/id/``: every resource by class (so a crawler from the home page reaches every IRI).
- ``/why?s=&p=&o=``: why a triple holds (terms in N-Triples syntax).
- Hash IRIs of the ontology (``/ontology#Term``) are answered by ``/ontology``.

``--public-base`` maps the dataset's base IRI onto the URL it is deployed at.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request

from ipkg.errors import ErrorKind, IpkgError
from ipkg.linkeddata.describe import OxTerm, Select, describe, prefixes
from ipkg.linkeddata.dumps import BY_EXTENSION, BY_KEY, DumpFormat, dump
from ipkg.linkeddata.explanation import RULE_NAMES, explain
from ipkg.linkeddata.labels import local_name, pick
from ipkg.namespaces import RDF_TYPE
from ipkg.sparql.formats import ResultFormat
from ipkg.web.errors import negotiate_or_406
from ipkg.web.pages import (
    HTML,
    PAGE_CHOICES,
    RDF_CHOICES,
    RESOURCE_406,
    languages,
    link_header,
    page_select,
)
from ipkg.web.presentation import (
    FORMAT_NAMES,
    alignments,
    folded,
    referenced_by,
    split_types,
)
from ipkg.web.state import state
from ipkg.web.urls import site

blueprint = Blueprint("resources", __name__)

DOCUMENT_EXTENSIONS = {f.extension: BY_KEY[f.key] for f in RDF_CHOICES}
SAFE_PATH = "/:@!$&'()*+,;=-._~"


# ---------------------------------------------------------------------------------------------
# Helpers every page of this package uses


def why_url(s: str, p: str, o: str) -> str:
    """The page explaining the triple (terms in N-Triples form)."""
    return site("why") + "?" + urlencode({"s": s, "p": p, "o": o})


@blueprint.app_context_processor
def _helpers() -> dict:
    return {"why_url": why_url}


def iri_of(path: str) -> str:
    """The dataset IRI a request path names (percent-encoding restored)."""
    return state().namespaces.base + quote(path, safe=SAFE_PATH)


def named_node(iri: str) -> ox.NamedNode | None:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None


EXISTS = "SELECT ?this ?p WHERE { { ?this ?p ?o } UNION { ?s ?p ?this } } LIMIT 1"
SIMILAR = """SELECT DISTINCT ?needle ?x ?l WHERE {
  ?x rdfs:label ?l . FILTER(isIRI(?x))
  FILTER(CONTAINS(LCASE(STR(?x)), ?needle) || CONTAINS(LCASE(STR(?l)), ?needle))
} LIMIT 40"""


def exists(run: Select, iri: str) -> bool:
    node = named_node(iri)
    return node is not None and bool(run(EXISTS, {"this": node}))


def not_found(iri: str, run: Select | None = None) -> Response:
    """A helpful 404: what was asked, what is near it, where to browse."""
    run = run or page_select()
    needle = local_name(iri).lower().replace("-", " ").split(" ")[0][:40]
    found: dict[str, list[tuple[str, str]]] = {}
    if len(needle) >= 3:
        rows = run(prefixes(state().namespaces) + SIMILAR, {"needle": ox.Literal(needle)})
        for row in rows:
            label = row["l"]
            found.setdefault(row["x"].value, []).append((label.value, label.language or ""))
    wanted = languages()
    similar = sorted(
        (x, (pick(labels, wanted) or (local_name(x), ""))[0]) for x, labels in found.items()
    )
    html = render_template(
        "not_found.html", iri=iri, similar=similar[:10], formats=other_formats(run, iri)
    )
    response = Response(html, 404, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    return response


def other_formats(run: Select, iri: str) -> list[tuple[str, str]]:
    """For an IRI that is a resource's with an unknown extension (``/doc/cnipa.xlsx``), the
    documents it does come as, (URL, format name); else none."""
    stem, dot, _ext = iri.rpartition(".")
    base = state().namespaces.base
    if not dot or not stem.startswith(base + "id/") or not exists(run, stem):
        return []
    path = stem.removeprefix(base + "id/")
    return [(site(f"doc/{path}.html"), "HTML page")] + [
        (site(f"doc/{path}.{f.extension}"), FORMAT_NAMES.get(f.media_type, f.media_type))
        for f in RDF_CHOICES
    ]


def alternates(path: str) -> list[tuple[str, str]]:
    """(URL, media type) of each document about the resource at ``/doc/<path>``."""
    doc = site("doc/" + path)
    return [(doc, "text/html")] + [(f"{doc}.{f.extension}", f.media_type) for f in RDF_CHOICES]


# ---------------------------------------------------------------------------------------------
# /id/<path>: the IRI itself


@blueprint.get("/id/<path:path>")
def identifier(path: str) -> Response:
    """A thing's IRI: 303 to the document in the format asked for."""
    stem, _, ext = path.rpartition(".")
    if stem and ext in DOCUMENT_EXTENSIONS:
        return document(path)
    run = page_select()
    iri = iri_of("id/" + path)
    if not exists(run, iri):
        return not_found(iri, run)
    fmt = negotiate_or_406(PAGE_CHOICES, RESOURCE_406)
    if fmt is HTML:
        target = site("doc/" + path)
        sentence = sentence_anchor(path)
        if sentence:
            target = site("article") + "#" + sentence
    else:
        target = site(f"doc/{path}.{fmt.extension}")
    response = redirect(target, 303)
    response.headers["Link"] = link_header(alternates(path))
    response.vary.add("Accept")
    return response


def sentence_anchor(path: str) -> str | None:
    """``s07`` for ``article/s07``: sentences are read in the article, at their anchor."""
    head, _, tail = path.partition("/")
    if head == "article" and len(tail) == 3 and tail[0] == "s" and tail[1:].isdigit():
        return tail
    return None


# ---------------------------------------------------------------------------------------------
# /doc/<path>: the document about it


DOCUMENT = """SELECT DISTINCT ?this ?s ?p ?o WHERE {
  { ?this ?p ?o . BIND(?this AS ?s) }
  UNION { ?this ?q ?s . FILTER(isBlank(?s)) ?s ?p ?o }
  UNION { ?s ?p ?this . FILTER(!isBlank(?s)) BIND(?this AS ?o) }
  UNION { ?s rdf:subject ?this ; ?p ?o }
  UNION { ?s rdf:object ?this ; ?p ?o }
}"""


def document_triples(run: Select, iri: str) -> list[ox.Triple]:
    """The triples of a resource's document: its own, those of its blank nodes, those pointing
    to it, and the reified statements (with their sentences) about it."""
    rows = run(prefixes(state().namespaces) + DOCUMENT, {"this": ox.NamedNode(iri)})
    return [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]


@blueprint.get("/doc/<path:path>")
def document(path: str) -> Response:
    """The document about a resource: HTML or RDF by Accept, or by extension."""
    stem, _, ext = path.rpartition(".")
    chosen: ResultFormat | DumpFormat | None
    if stem and ext in DOCUMENT_EXTENSIONS:
        path, chosen, negotiated = stem, DOCUMENT_EXTENSIONS[ext], False
    elif stem and ext == "html":
        path, chosen, negotiated = stem, HTML, False
    else:
        chosen, negotiated = None, True
    run = page_select()
    iri = iri_of("id/" + path)
    if not exists(run, iri):
        return not_found(iri, run)
    if chosen is None:  # negotiated only once the resource is known to exist (404 before 406)
        chosen = negotiate_or_406(PAGE_CHOICES, RESOURCE_406)
    if chosen is HTML:
        response = resource_page(run, iri, path)
    else:
        fmt = BY_KEY[chosen.key]
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in document_triples(run, iri)]
        body = dump(quads, fmt, state().namespaces)
        response = Response(body, content_type=f"{fmt.media_type}; charset=utf-8")
    response.headers["Link"] = link_header(alternates(path))
    if negotiated:
        response.vary.add("Accept")
        extension = "html" if chosen is HTML else chosen.extension
        response.headers["Content-Location"] = site(f"doc/{path}.{extension}")
    return response


def resource_page(run: Select, iri: str, path: str) -> Response:
    description = describe(run, state().namespaces, iri, languages())
    type_sentences = {
        link.value.value: link.sentences
        for group in description.outgoing
        if group.predicate.value == RDF_TYPE
        for link in group.links
    }
    above = alignments(run)
    own = [g for g in description.outgoing if g.predicate.value != RDF_TYPE]
    html = render_template(
        "resource.html",
        d=description,
        outgoing=folded(own, above),
        types=split_types(description.types),
        incoming=referenced_by(description.incoming, above, run, own),
        format_names=FORMAT_NAMES,
        type_sentences=type_sentences,
        alternates=alternates(path),
        ns=state().namespaces,
        sentence_anchor=sentence_anchor(path),
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    return response


# ---------------------------------------------------------------------------------------------
# /why: explanations of inferred triples


def _parse_term(name: str) -> OxTerm:
    text = request.args.get(name, "")
    if not text:
        raise ValueError(f"parameter '{name}' is missing; give a term in N-Triples syntax")
    if len(text) > 4000:
        raise ValueError(f"parameter '{name}' is too long")
    try:
        quads = list(ox.parse(f"<urn:x:s> <urn:x:p> {text} .", format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise ValueError(f"parameter '{name}' is not an N-Triples term: {exc.msg}") from None
    if len(quads) != 1:
        raise ValueError(f"parameter '{name}' must be exactly one term")
    return quads[0].object


@blueprint.get("/why")
def why() -> Response:
    """Why a triple holds: the OWL-RL rules that derive it and their premises."""
    try:
        s, p, o = (_parse_term(n) for n in ("s", "p", "o"))
    except ValueError as exc:
        raise IpkgError(f"Bad request: {exc}", ErrorKind.BAD_REQUEST) from None
    if not isinstance(s, ox.NamedNode | ox.BlankNode) or not isinstance(p, ox.NamedNode):
        raise IpkgError("Bad request: 's' must be an IRI and 'p' an IRI", ErrorKind.BAD_REQUEST)
    explanation = explain(page_select(), state().namespaces, (s, p, o), languages())
    html = render_template("why.html", e=explanation, rules=RULE_NAMES)
    status = 200 if explanation.exists else 404
    response = Response(html, status, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    return response


# ---------------------------------------------------------------------------------------------
# /id/: the browse index


INDEX = """SELECT DISTINCT ?inferred ?x ?c ?xl ?cl WHERE {
  ?x a ?c . FILTER(isIRI(?x))
  FILTER NOT EXISTS { GRAPH ?inferred { ?x a ?c } }
  OPTIONAL { ?x rdfs:label ?xl }
  OPTIONAL { ?c rdfs:label ?cl }
}"""
# (GRAPH ?x { } would be shorter, but Virtuoso binds no ?x for an empty graph pattern.)
UNTYPED = """SELECT DISTINCT ?base ?x WHERE {
  { ?x ?p ?o } UNION { ?s ?p ?x } UNION { GRAPH ?x { ?gs ?gp ?go } }
  FILTER(isIRI(?x) && STRSTARTS(STR(?x), ?base))
  FILTER NOT EXISTS { ?x a ?c }
}"""


def browse_index(run: Select) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(class IRI, class label, [(IRI, label)]) for every asserted class, by label."""
    from ipkg.linkeddata.labels import pick

    ns = state().namespaces
    wanted = languages()
    rows = run(prefixes(ns) + INDEX, {"inferred": ox.NamedNode(ns.graph("inferred"))})
    labels: dict[str, set[tuple[str, str]]] = {}
    members: dict[str, set[str]] = {}
    for row in rows:
        x, c = row["x"].value, row["c"].value
        members.setdefault(c, set()).add(x)
        for key, label in ((x, row.get("xl")), (c, row.get("cl"))):
            bucket = labels.setdefault(key, set())
            if isinstance(label, ox.Literal):
                bucket.add((label.value, label.language or ""))

    def label_of(iri: str) -> str:
        chosen = pick(labels.get(iri, ()), wanted)
        return chosen[0] if chosen else local_name(iri)

    groups = [
        (c, label_of(c), sorted(((x, label_of(x)) for x in xs), key=lambda p: p[1].lower()))
        for c, xs in members.items()
    ]
    groups.sort(key=lambda g: g[1].lower())
    others = run(UNTYPED, {"base": ox.Literal(ns.base)})
    if others:
        untyped = sorted((r["x"].value, local_name(r["x"].value)) for r in others)
        groups.append(("", "Other resources (no type)", untyped))
    return groups


@blueprint.get("/id/")
def index() -> Response:
    """Every resource of the dataset, by class; ``?q=`` is a search (``/search``)."""
    if request.args.get("q"):
        return redirect(site("search") + "?" + urlencode({"q": request.args["q"]}), 303)
    html = render_template("index.html", groups=browse_index(page_select()))
    response = Response(html, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")
    return response


@blueprint.get("/id")
def index_slash() -> Response:
    return redirect(site("id/"), 301)


@blueprint.get("/graph/<name>")
def graph(name: str) -> Response:
    """A named graph's IRI: 303 to its dump (the format by Accept) or to the export page."""
    if state().namespaces.graph(name) not in state().graph_sizes:
        return not_found(iri_of("graph/" + name))
    choices = [
        HTML,
        *[f for f in BY_EXTENSION.values()],
    ]
    fmt = negotiate_or_406(choices, RESOURCE_406)
    target = site("export/") + "#" + name if fmt is HTML else site(f"export/{name}.{fmt.extension}")
    response = redirect(target, 303)
    response.vary.add("Accept")
    return response
