"""What an inferred triple adds: a new fact in the ontology's own terms (an inverse link, a
property chain, a superclass of ipkg's), or an alignment that restates a fact in another
vocabulary (PROV, ORG, FOAF, schema.org, SKOS, OWL-Time). ``/why`` and the split dumps of
the inferred graph both ask :func:`kind_of`."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from ipkg.namespaces import RDF_TYPE, Namespaces

NEW = "new fact"
ALIGNMENT = "alignment"


def kind_of(predicate: str, obj: str, ns: Namespaces) -> str:
    """:data:`NEW` when the triple is said with the ontology's own property (or, for a typing,
    its own class); :data:`ALIGNMENT` when it restates a fact in another vocabulary."""
    term = obj if predicate == RDF_TYPE else predicate
    return NEW if term.startswith(ns.ontology) else ALIGNMENT


def kind_of_quad(quad: ox.Quad | ox.Triple, ns: Namespaces) -> str:
    obj = quad.object.value if isinstance(quad.object, ox.NamedNode) else ""
    return kind_of(quad.predicate.value, obj, ns)


def of_kind(quads: Iterable[ox.Quad], kind: str, ns: Namespaces) -> list[ox.Quad]:
    """The quads of one kind."""
    return [q for q in quads if kind_of_quad(q, ns) == kind]
