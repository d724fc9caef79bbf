"""OWL-RL materialisation with owlrl, and the clean-up that keeps only facts worth storing.

owlrl's closure also holds triples that are not RDF (literal subjects), ``x owl:sameAs x`` for
every resource, tautologies (``C rdfs:subClassOf C``) and axioms about the rdf/rdfs/owl/xsd
vocabularies themselves: 10-25 % of its output, none of it about the data. They are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

import owlrl
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, XSD

BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
REFLEXIVE_NOISE = frozenset(
    {
        OWL.sameAs,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        RDFS.subClassOf,
        RDFS.subPropertyOf,
    }
)
Triple = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]


def is_noise(triple: Triple) -> bool:
    """True for a closure triple that says nothing about the data (see the module docstring)."""
    s, p, o = triple
    if isinstance(s, rdflib.Literal):
        return True
    if s == o and p in REFLEXIVE_NOISE:
        return True
    return isinstance(s, rdflib.URIRef) and str(s).startswith(BUILTIN_NAMESPACES)


def closure(graphs: Iterable[rdflib.Graph]) -> rdflib.Graph:
    """The OWL-RL deductive closure of the union of ``graphs`` (the inputs are left unchanged)."""
    union = rdflib.Graph()
    for graph in graphs:
        union += graph
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(union)
    return union


def inferred_triples(ontology: rdflib.Graph, asserted: rdflib.Graph) -> rdflib.Graph:
    """What OWL-RL derives from the ontology and the asserted facts, cleaned, minus the inputs."""
    inferred = rdflib.Graph()
    for triple in closure((ontology, asserted)):
        if triple in ontology or triple in asserted or is_noise(triple):
            continue
        inferred.add(triple)
    return inferred
