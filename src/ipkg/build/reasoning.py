"""OWL-RL materialisation with owlrl, and the clean-up that keeps only facts worth storing.

owlrl's closure also holds triples that are not RDF (literal subjects), ``x owl:sameAs x`` for
every resource, tautologies (``C rdfs:subClassOf C``, ``x a owl:Thing``) and axioms about the
rdf/rdfs/owl/xsd vocabularies themselves: 10-25 % of its output, none of it about the data.
They are dropped.

``--reasoner reasonable`` uses the Rust OWL 2 RL reasoner ``reasonable`` (45-75x faster) for the
data, completed where it falls short of owlrl so that both give the same cleaned graph: it does
not apply property chains (prp-spo2), so they are applied here until nothing new follows, and
it derives no schema-level facts (scm-* rules), so those come from owlrl run on the ontology
alone (a fixed, small cost). Its plain literals come back as ``xsd:string`` and are made plain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import owlrl
import rdflib
from rdflib.collection import Collection
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
    if p == RDF.type and o == OWL.Thing:  # true of every individual: says nothing
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


def property_chains(ontology: rdflib.Graph) -> list[tuple[rdflib.URIRef, list[rdflib.term.Node]]]:
    """Each ``P owl:propertyChainAxiom (P1 … Pn)`` of the ontology."""
    return [
        (prop, list(Collection(ontology, head)))
        for prop, head in ontology.subject_objects(OWL.propertyChainAxiom)
    ]


def chained(triples: set[Triple], chains: list) -> set[Triple]:
    """What the property chains derive from ``triples`` (rule prp-spo2)."""
    by_predicate: dict[rdflib.term.Node, dict] = {}
    for s, p, o in triples:
        by_predicate.setdefault(p, {}).setdefault(s, set()).add(o)
    derived: set[Triple] = set()
    for prop, steps in chains:
        reached = {s: set(objects) for s, objects in by_predicate.get(steps[0], {}).items()}
        for step in steps[1:]:
            links = by_predicate.get(step, {})
            reached = {
                s: {end for mid in mids for end in links.get(mid, ())}
                for s, mids in reached.items()
            }
        derived |= {(s, prop, o) for s, ends in reached.items() for o in ends}
    return derived


def _plain(term: rdflib.term.Node) -> rdflib.term.Node:
    if isinstance(term, rdflib.Literal) and term.datatype == XSD.string:
        return rdflib.Literal(str(term))
    return term


def reasonable_closure(
    ontology: rdflib.Graph, asserted: rdflib.Graph | Sequence[Triple]
) -> set[Triple]:
    """The OWL 2 RL closure by ``reasonable``, property chains applied to a fixpoint."""
    import reasonable

    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(ontology)
    reasoner.from_graph(asserted)
    chains = property_chains(ontology)
    while True:
        closure = {tuple(_plain(t) for t in triple) for triple in reasoner.reason()}
        new = chained(closure, chains) - closure
        if not new:
            return closure
        reasoner.from_graph(list(new))


def inferred_by(
    reasoner: str, ontology: rdflib.Graph, asserted: rdflib.Graph | Sequence[Triple]
) -> Iterable[Triple]:
    """What ``reasoner`` (owlrl or reasonable) derives, cleaned, minus the inputs. The
    reasonable path also takes the asserted triples as a list of rdflib-term tuples, which
    saves building an rdflib graph of the data (its time and most of the memory at scale)."""
    if reasoner != "reasonable":
        graph = asserted if isinstance(asserted, rdflib.Graph) else _graph(asserted)
        return inferred_triples(ontology, graph)
    given = asserted if isinstance(asserted, rdflib.Graph) else set(asserted)
    inferred = list(inferred_triples(ontology, rdflib.Graph()))  # schema-level facts
    seen = set(inferred)
    for triple in reasonable_closure(ontology, asserted):
        if triple in seen or triple in ontology or triple in given or is_noise(triple):
            continue
        inferred.append(triple)
    return inferred


def _graph(triples: Iterable[Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in triples:
        graph.add(triple)
    return graph
