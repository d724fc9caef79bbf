"""The ontology as documentation (``/ontology``), in the spirit of pyLODE: metadata, classes and
properties with their definitions, hierarchy, domains, ranges, characteristics and alignments
to other vocabularies, the code lists, and the diagram (``/ontology.svg``). Its hash IRIs
(``/ontology#Person``) land on their entry; RDF by ``Accept`` or ``/ontology.ttl`` etc."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, send_file

from ipkg.config import project_root
from ipkg.errors import ErrorKind, IpkgError
from ipkg.linkeddata.describe import Select, Term
from ipkg.linkeddata.dumps import BY_KEY, dump
from ipkg.linkeddata.labels import local_name, pick
from ipkg.namespaces import DCTERMS, OWL, RDF, RDFS, SKOS
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
from ipkg.web.state import state
from ipkg.web.urls import site

blueprint = Blueprint("ontology_page", __name__)

ONTOLOGY = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
CHARACTERISTICS = ("Functional", "InverseFunctional", "Transitive", "Symmetric", "Asymmetric")


@dataclass
class Entry:
    """One documented term."""

    iri: str
    anchor: str
    label: str
    kind: str
    definition: str = ""
    parents: list[Term] = field(default_factory=list)
    children: list[Term] = field(default_factory=list)
    alignments: list[Term] = field(default_factory=list)
    domains: list[Term] = field(default_factory=list)
    ranges: list[Term] = field(default_factory=list)
    inverses: list[Term] = field(default_factory=list)
    union: list[Term] = field(default_factory=list)
    chains: list[list[Term]] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    concepts: list[Term] = field(default_factory=list)


class _Graph:
    """The ontology's triples, indexed for lookups."""

    def __init__(self, triples: list[ox.Triple], wanted: tuple[str, ...]) -> None:
        self.triples = triples
        self.out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.back: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.out[str(t.subject)][t.predicate.value].append(t.object)
            if not isinstance(t.object, ox.Literal):
                self.back[str(t.object)][t.predicate.value].append(t.subject)
        self.wanted = wanted

    def values(self, node, predicate: str) -> list:
        return self.out.get(str(node), {}).get(predicate, [])

    def text(self, node, predicate: str) -> str:
        pairs = {
            (o.value, o.language or "")
            for o in self.values(node, predicate)
            if isinstance(o, ox.Literal)
        }
        chosen = pick(pairs, self.wanted)
        return chosen[0] if chosen else ""

    def label(self, iri: str) -> str:
        return self.text(ox.NamedNode(iri), RDFS + "label") or local_name(iri)

    def term(self, node) -> Term:
        if isinstance(node, ox.NamedNode):
            return Term("iri", node.value, self.label(node.value), nt=str(node))
        return Term("bnode", str(node), "[anonymous]", nt=str(node))

    def items(self, node) -> list:
        """The members of an RDF list."""
        members, seen = [], set()
        while isinstance(node, ox.BlankNode) and str(node) not in seen:
            seen.add(str(node))
            members += self.values(node, RDF + "first")
            rest = self.values(node, RDF + "rest")
            node = rest[0] if rest else None
        return members

    def typed(self, cls: str) -> list[ox.NamedNode]:
        found = {
            t.subject
            for t in self.triples
            if t.predicate.value == RDF + "type"
            and t.object.value == cls
            and isinstance(t.subject, ox.NamedNode)
        }
        return sorted(found, key=lambda n: self.label(n.value).lower())


def entries(graph: _Graph, base: str) -> dict[str, list[Entry]]:
    """The documented terms by section: classes, object and datatype properties, code lists."""

    def own(iri: str) -> bool:
        return iri.startswith(base)

    def entry(node: ox.NamedNode, kind: str) -> Entry:
        iri = node.value
        return Entry(
            iri=iri,
            anchor=iri[len(base) :] if own(iri) else "list-" + local_name(iri).replace(":", "-"),
            label=graph.label(iri),
            kind=kind,
            definition=graph.text(node, SKOS + "definition") or graph.text(node, RDFS + "comment"),
        )

    sections: dict[str, list[Entry]] = {"classes": [], "object": [], "datatype": [], "schemes": []}
    for node in graph.typed(OWL + "Class"):
        e = entry(node, "class")
        for parent in graph.values(node, RDFS + "subClassOf"):
            target = e.parents if own(parent.value) else e.alignments
            if isinstance(parent, ox.NamedNode):
                target.append(graph.term(parent))
        for match in graph.values(node, OWL + "equivalentClass"):
            if isinstance(match, ox.NamedNode):
                e.alignments.append(graph.term(match))
        e.children = [
            graph.term(c) for c in graph.back.get(str(node), {}).get(RDFS + "subClassOf", [])
        ]
        for union in graph.values(node, OWL + "unionOf"):
            e.union = [graph.term(m) for m in graph.items(union)]
        sections["classes"].append(e)
    for kind, cls in (("object", "ObjectProperty"), ("datatype", "DatatypeProperty")):
        for node in graph.typed(OWL + cls):
            e = entry(node, kind)
            for parent in graph.values(node, RDFS + "subPropertyOf"):
                target = e.parents if own(parent.value) else e.alignments
                target.append(graph.term(parent))
            e.children = [
                graph.term(c) for c in graph.back.get(str(node), {}).get(RDFS + "subPropertyOf", [])
            ]
            e.domains = [graph.term(d) for d in graph.values(node, RDFS + "domain")]
            e.ranges = [graph.term(r) for r in graph.values(node, RDFS + "range")]
            chain_heads = graph.values(node, OWL + "propertyChainAxiom")
            e.inverses = [graph.term(i) for i in graph.values(node, OWL + "inverseOf")]
            e.inverses += [
                graph.term(i) for i in graph.back.get(str(node), {}).get(OWL + "inverseOf", [])
            ]
            e.chains = sorted(
                ([graph.term(m) for m in graph.items(chain)] for chain in chain_heads),
                key=lambda steps: [step.label for step in steps],
            )
            types = {t.value for t in graph.values(node, RDF + "type")}
            e.characteristics = [c for c in CHARACTERISTICS if f"{OWL}{c}Property" in types]
            sections[kind].append(e)
    for node in graph.typed(SKOS + "ConceptScheme"):
        e = entry(node, "scheme")
        members = graph.back.get(str(node), {}).get(SKOS + "inScheme", [])
        e.concepts = sorted((graph.term(m) for m in members), key=lambda t: t.label.lower())
        sections["schemes"].append(e)
    return sections


def hierarchy(classes: list[Entry]) -> list[tuple[Entry, list]]:
    """The class hierarchy as nested (entry, children) pairs, roots first, by label."""
    by_iri = {e.iri: e for e in classes}
    children: dict[str, list[Entry]] = defaultdict(list)
    roots = []
    for e in classes:
        parents = [p.value for p in e.parents if p.value in by_iri]
        for parent in parents:
            children[parent].append(e)
        if not parents:
            roots.append(e)

    def tree(e: Entry, seen: frozenset[str]) -> tuple[Entry, list]:
        below = sorted(children.get(e.iri, []), key=lambda c: c.label.lower())
        return (e, [tree(c, seen | {e.iri}) for c in below if c.iri not in seen])

    return [tree(r, frozenset()) for r in sorted(roots, key=lambda r: r.label.lower())]


def ontology_triples(run: Select) -> list[ox.Triple]:
    """The ontology graph, in term order: the page lists parents and alignments in the same
    order whatever order the store returns them in."""
    rows = run(ONTOLOGY, {"g": ox.NamedNode(state().namespaces.graph("ontology"))})
    return sorted((ox.Triple(r["s"], r["p"], r["o"]) for r in rows), key=str)


def ontology_iri(graph: _Graph) -> str | None:
    found = graph.typed(OWL + "Ontology")
    return found[0].value if found else None


def ontology_alternates() -> list[tuple[str, str]]:
    return [(site("ontology"), "text/html")] + [
        (site(f"ontology.{f.extension}"), f.media_type) for f in RDF_CHOICES
    ]


def ontology_response(key: str | None, *, negotiated: bool) -> Response:
    run = page_select()
    triples = ontology_triples(run)
    if key is None:
        graph = _Graph(triples, languages())
        node = ontology_iri(graph)
        meta = {}
        if node:
            subject = ox.NamedNode(node)
            for name in ("title", "description", "license", "creator", "created"):
                values = graph.values(subject, DCTERMS + name)
                meta[name] = graph.text(subject, DCTERMS + name) or (
                    values[0].value if values else ""
                )
            meta["version"] = graph.text(subject, OWL + "versionInfo")
            meta["iri"] = node
        html = render_template(
            "ontology.html",
            meta=meta,
            sections=(sections := entries(graph, state().namespaces.ontology)),
            tree=hierarchy(sections["classes"]),
            alternates=ontology_alternates(),
            has_diagram=diagram_path() is not None,
        )
        response = Response(html, content_type="text/html; charset=utf-8")
        response.vary.add("Accept-Language")
    else:
        fmt = BY_KEY[key]
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        body = dump(quads, fmt, state().namespaces)
        response = Response(body, content_type=f"{fmt.media_type}; charset=utf-8")
    response.headers["Link"] = link_header(ontology_alternates())
    if negotiated:
        response.vary.add("Accept")
    return response


@blueprint.get("/ontology")
def ontology() -> Response:
    """The ontology: HTML documentation or RDF, by Accept."""
    fmt = negotiate_or_406(PAGE_CHOICES, RESOURCE_406)
    return ontology_response(None if fmt is HTML else fmt.key, negotiated=True)


@blueprint.get("/ontology.<ext>")
def ontology_file(ext: str) -> Response:
    """The ontology in one format (``.html``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``)."""
    if ext == "html":
        return ontology_response(None, negotiated=False)
    if ext == "svg":
        return diagram()
    for f in RDF_CHOICES:
        if f.extension == ext:
            return ontology_response(f.key, negotiated=False)
    return Response(
        f"Not found: the ontology is offered as .html, .ttl, .jsonld, .nt and .rdf, not .{ext}\n",
        404,
        mimetype="text/plain",
    )


@blueprint.get("/ontology/<path:rest>")
def ontology_version(rest: str) -> Response:
    """Version IRIs and other IRIs under the ontology's: the current ontology."""
    return redirect(site("ontology"), 303)


def diagram_path():
    path = project_root() / "docs" / "ontology.svg"
    return path if path.is_file() else None


def diagram() -> Response:
    """The ontology diagram drawn by ``docs/`` (an SVG file, served as it is)."""
    path = diagram_path()
    if path is None:
        raise IpkgError("The ontology diagram is not installed.", ErrorKind.NOT_FOUND)
    response = send_file(path, mimetype="image/svg+xml", max_age=3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
