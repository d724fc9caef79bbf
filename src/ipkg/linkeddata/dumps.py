"""Dumps of the dataset: the asserted, inferred or complete graph in Turtle (prefixed, blank
nodes nested), JSON-LD (compacted with the project's own ``@context``), N-Triples, RDF/XML,
TriG and N-Quads, and views derived from one graph (:data:`VIEWS`: the inferred graph split
into new facts and alignments, the provenance as RDF 1.2 annotations). The web service and
``ipkg export`` both write them with :func:`dump`."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import Node

from ipkg.build.terms import RDF_LANG_STRING, XSD_STRING, rdflib_graph
from ipkg.linkeddata.inference_kinds import ALIGNMENT, NEW, of_kind
from ipkg.namespaces import COMMON_PREFIXES, RDF_TYPE, XSD, Namespaces
from ipkg.sparql.formats import DUMP_FORMATS, RDF_FORMATS, ResultFormat
from ipkg.sparql.serialisation import xml_safe_bytes

EXTRA_PREFIXES = {
    "qb": "http://purl.org/linked-data/cube#",
    "time": "http://www.w3.org/2006/time#",
    "wd": "http://www.wikidata.org/entity/",
    "void": "http://rdfs.org/ns/void#",
}
GRAPHS = ("asserted", "inferred", "complete", "ontology")
"""The dumps every article dataset has: its named graphs, and ``complete``, all graphs together."""


DumpFormat = ResultFormat  # a dump is in one of the registry's RDF formats
BY_EXTENSION = {f.extension: f for f in DUMP_FORMATS}
BY_KEY = {f.key: f for f in DUMP_FORMATS}


def prefixes(ns: Namespaces) -> dict[str, str]:
    """The prefixes of the dumps and of the JSON-LD context."""
    return {
        "ipkg": ns.ontology,
        "id": ns.instances,
        **COMMON_PREFIXES,
        **EXTRA_PREFIXES,
    }


def context(ns: Namespaces) -> dict:
    """The project's JSON-LD context (published at ``/context.jsonld``): prefixes only, so that
    every compact IRI in a dump reads like its Turtle and expands without surprises."""
    return {"@context": dict(sorted(prefixes(ns).items()))}


def selected(quads: Iterable[ox.Quad], graph: str, ns: Namespaces) -> list[ox.Quad]:
    """The quads of one dump: one named graph, every quad for ``complete``, or a view made
    from its graph."""
    if graph in VIEWS:
        view = VIEWS[graph]
        return view.quads(selected(quads, view.source, ns), ns)
    if graph == "complete":
        return list(quads)
    name = ns.graph(graph)
    return [
        q
        for q in quads
        if not isinstance(q.graph_name, ox.DefaultGraph) and q.graph_name.value == name
    ]


def _triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of the quads, graph names dropped, in a stable order."""
    return sorted({q.triple for q in quads}, key=str)


def dump(quads: Iterable[ox.Quad], fmt: DumpFormat, ns: Namespaces) -> bytes:
    """The quads in ``fmt``: graph names kept in TriG and N-Quads, merged otherwise."""
    quads = list(quads)
    if fmt.key == "turtle":
        triples = _triples(quads)
        return turtle12(triples, ns) if has_triple_terms(triples) else turtle(triples, ns)
    if fmt.key == "jsonld":
        return jsonld(_triples(quads), ns)
    buffer = io.BytesIO()
    if fmt.keeps_graphs:
        items: list = sorted(set(quads), key=str)
        ox.serialize(items, buffer, format=RDF_FORMATS[fmt.key], **_prefix_option(fmt, ns))
    else:
        ox.serialize(_triples(quads), buffer, format=RDF_FORMATS[fmt.key])
    data = buffer.getvalue()
    return xml_safe_bytes(data) if fmt.key == "rdfxml" else data


# Turtle's bare number and boolean tokens, by the datatype they are read as.
_TURTLE_TOKENS = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "double": re.compile(r"[+-]?([0-9]+\.[0-9]*|\.?[0-9]+)[eE][+-]?[0-9]+"),
    XSD + "boolean": re.compile(r"true|false"),
}


class _ExactTurtle(TurtleSerializer):
    """rdflib's Turtle (prefixes, nested blank nodes) with every literal read back as the same
    term: a bare token (``2.0``, ``true``) only when it reads back as the literal's own lexical
    form, else the quoted form (``"2"^^xsd:decimal``, as oxigraph stores decimals)."""

    def label(self, node: Node, position: int) -> str:
        text = super().label(node, position)
        if isinstance(node, rdflib.Literal) and not text.startswith('"'):
            token = _TURTLE_TOKENS.get(str(node.datatype))
            if text != str(node) or token is None or not token.fullmatch(text):
                return node._literal_n3(
                    use_plain=False, qname_callback=lambda dt: self.get_pname(dt, False)
                )
        return text


def turtle(triples: Iterable[ox.Triple], ns: Namespaces) -> bytes:
    """Turtle of the triples, prefixed and nested, holding exactly their terms."""
    graph = rdflib_graph(triples, normalize=False)
    for prefix, namespace in prefixes(ns).items():
        graph.bind(prefix, namespace, override=True, replace=True)
    out = io.BytesIO()
    _ExactTurtle(graph).serialize(out, encoding="utf-8")
    return out.getvalue()


def _prefix_option(fmt: DumpFormat, ns: Namespaces) -> dict:
    return {"prefixes": prefixes(ns)} if fmt.key == "trig" else {}


# ---------------------------------------------------------------------------------------------
# JSON-LD, compacted with the project's context


def compact_iri(iri: str, table: list[tuple[str, str]]) -> str:
    """``prefix:local`` for an IRI in a context namespace, else the IRI. A local part that
    could be read as an absolute IRI or a blank node (``//``, ``_:``) keeps the full IRI."""
    for prefix, namespace in table:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace) :]
            if not local.startswith("//") and ":" not in local.split("/")[0]:
                return f"{prefix}:{local}"
    return iri


def _node_ref(term: ox.NamedNode | ox.BlankNode, table: list[tuple[str, str]]) -> str:
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return compact_iri(term.value, table)


def _value(term, table: list[tuple[str, str]]):
    if isinstance(term, ox.NamedNode | ox.BlankNode):
        return {"@id": _node_ref(term, table)}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    datatype = term.datatype.value
    if datatype == XSD_STRING:
        return term.value
    if datatype == RDF_LANG_STRING:
        return {"@value": term.value}
    return {"@value": term.value, "@type": compact_iri(datatype, table)}


def _one_or_many(values: list):
    return values[0] if len(values) == 1 else values


def jsonld(triples: Iterable[ox.Triple], ns: Namespaces) -> bytes:
    """Compacted JSON-LD of the triples: one node object per subject in a ``@graph``, compact
    IRIs from the context, ``@type`` for classes; the context is written inline (the same one
    ``/context.jsonld`` publishes), so reading it back needs no network."""
    table = sorted(prefixes(ns).items(), key=lambda pair: -len(pair[1]))
    nodes: dict[str, dict] = {}
    for t in triples:
        ref = _node_ref(t.subject, table)
        node = nodes.setdefault(ref, {"@id": ref})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact_iri(t.object.value, table))
            continue
        key = compact_iri(t.predicate.value, table)
        if key.startswith("@"):
            key = t.predicate.value
        node.setdefault(key, []).append(_value(t.object, table))
    graph = []
    for ref in sorted(nodes):
        node = nodes[ref]
        ordered = {"@id": node.pop("@id")}
        if "@type" in node:
            ordered["@type"] = _one_or_many(sorted(node.pop("@type")))
        for key in sorted(node):
            ordered[key] = _one_or_many(node[key])
        graph.append(ordered)
    document = {**context(ns), "@graph": graph}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def read_back(data: bytes, fmt: DumpFormat) -> list[ox.Quad]:
    """Parses a dump (for round-trip checks)."""
    return list(ox.parse(data, format=RDF_FORMATS[fmt.key]))


# ---- views: dumps derived from one graph -----------------------------------------------------

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
REIFICATION = {RDF + "subject", RDF + "predicate", RDF + "object"}
RDF_STATEMENT = RDF + "Statement"
RDF_REIFIES = ox.NamedNode(RDF + "reifies")


def annotated(quads: Iterable[ox.Quad], ns: Namespaces) -> list[ox.Quad]:
    """The asserted graph in RDF 1.2: every ``rdf:Statement`` becomes the reifier of its fact
    (``_:r rdf:reifies <<( s p o )>>``, written ``s p o ~ _:r {| ... |}`` in Turtle 1.2) and
    keeps what it says about the fact (its sentences, support, reading, rule and inputs); the
    ``rdf:Statement`` typing and ``rdf:subject``/``predicate``/``object`` triples go."""
    quads = list(quads)
    parts: dict[ox.Term, dict[str, ox.Term]] = {}
    statements = set()
    for q in quads:
        if q.predicate.value in REIFICATION:
            parts.setdefault(q.subject, {})[q.predicate.value] = q.object
        elif q.predicate.value == RDF_TYPE and q.object == ox.NamedNode(RDF_STATEMENT):
            statements.add(q.subject)
    graph_of = {q.subject: q.graph_name for q in quads}
    out = []
    for q in quads:
        if q.subject in statements and (
            q.predicate.value in REIFICATION or q.predicate.value == RDF_TYPE
        ):
            continue
        out.append(q)
    for node in statements:
        p = parts.get(node, {})
        if len(p) == 3:
            fact = ox.Triple(p[RDF + "subject"], p[RDF + "predicate"], p[RDF + "object"])
            out.append(ox.Quad(node, RDF_REIFIES, fact, graph_of[node]))
    return out


@dataclass(frozen=True)
class View:
    """A dump derived from one graph: the inferred graph split by what each triple adds, or
    the asserted graph with its provenance as RDF 1.2 annotations."""

    name: str
    source: str
    title: str
    formats: tuple[str, ...]
    kind: str = ""

    def quads(self, quads: Iterable[ox.Quad], ns: Namespaces) -> list[ox.Quad]:
        if self.name == "provenance-rdf12":
            return annotated(quads, ns)
        return of_kind(quads, self.kind, ns)


ALL_FORMATS = tuple(f.key for f in DUMP_FORMATS)
VIEWS = {
    v.name: v
    for v in (
        View(
            "inferred-new",
            "inferred",
            "the inferred triples that add a fact in ipkg's own terms",
            ALL_FORMATS,
            NEW,
        ),
        View(
            "inferred-alignments",
            "inferred",
            "the inferred triples that restate a fact in another vocabulary",
            ALL_FORMATS,
            ALIGNMENT,
        ),
        View(
            "provenance-rdf12",
            "asserted",
            "the asserted graph with each fact's support as an RDF 1.2 annotation",
            ("turtle", "ntriples"),
        ),
    )
}


def has_triple_terms(triples: Iterable[ox.Triple]) -> bool:
    return any(isinstance(t.object, ox.Triple) for t in triples)


def turtle12(triples: Iterable[ox.Triple], ns: Namespaces) -> bytes:
    """Turtle 1.2 (triple terms), written by pyoxigraph with the dumps' prefixes."""
    buffer = io.BytesIO()
    ox.serialize(list(triples), buffer, format=ox.RdfFormat.TURTLE, prefixes=prefixes(ns))
    return buffer.getvalue()
