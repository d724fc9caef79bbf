"""Conversion of RDF terms between pyoxigraph (storage, parsing) and rdflib (reasoning, SHACL)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from ipkg.namespaces import RDF, XSD

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
XSD_STRING = XSD + "string"
RDF_LANG_STRING = RDF + "langString"


def to_rdflib(term: OxTerm, normalize: bool = True) -> Node:
    """One pyoxigraph term as the rdflib term with the same meaning (with ``normalize=False``,
    also the same lexical form: rdflib would otherwise rewrite e.g. "01"^^xsd:integer)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    # rdflib 7 keeps plain literals apart from xsd:string ones: use the plain form for both.
    return rdflib.Literal(
        term.value, datatype=None if datatype == XSD_STRING else datatype, normalize=normalize
    )


def to_oxigraph(term: Node) -> OxTerm:
    """One rdflib term as the pyoxigraph term with the same meaning."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def rdflib_graph(triples: Iterable[ox.Quad | ox.Triple], normalize: bool = True) -> rdflib.Graph:
    """An rdflib graph holding the triples of pyoxigraph quads or triples (graph names dropped);
    ``normalize=False`` keeps every literal's lexical form as it is."""
    graph = rdflib.Graph()
    for t in triples:
        s, p, o = (to_rdflib(term, normalize) for term in (t.subject, t.predicate, t.object))
        graph.add((s, p, o))
    return graph


def oxigraph_quads(graph: Iterable[tuple[Node, Node, Node]], name: str) -> Iterator[ox.Quad]:
    """The triples of an rdflib graph as pyoxigraph quads in the named graph ``name``."""
    graph_name = ox.NamedNode(name)
    for s, p, o in graph:
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph_name)


def map_iris(quad: ox.Quad, rename: Callable[[str], str]) -> ox.Quad:
    """The quad with every IRI passed through ``rename`` (literals and blank nodes unchanged)."""

    def term(t):
        return ox.NamedNode(rename(t.value)) if isinstance(t, ox.NamedNode) else t

    return ox.Quad(
        term(quad.subject), term(quad.predicate), term(quad.object), term(quad.graph_name)
    )
