"""OWL-RL materialisation with owlrl, and the clean-up that keeps only facts worth serving.

:class:`Cleaning` is the one rule, for both reasoners, that decides which derived triples are
served (docs/modelling.md lists what it drops, with counts): not RDF (literal subjects),
reflexive (``x owl:sameAs x``, ``C rdfs:subClassOf C``), true of everything (any triple with
``owl:Thing`` as object), axioms about the rdf/rdfs/owl/xsd vocabularies, schema statements
(they restate the ontology, which is served in its own graph), and typings into helper union
classes (``owl:unionOf`` classes that exist to be a domain or range, not a kind of thing).

``--reasoner reasonable`` uses the Rust OWL 2 RL reasoner ``reasonable`` (45-75x faster) for the
data, completed where it falls short of owlrl so that both give the same cleaned graph: it does
not apply property chains (prp-spo2), so they are applied here until nothing new follows, and
it derives no schema-level facts (scm-* rules), so those come from owlrl run on the ontology
alone (a fixed, small cost). Its plain literals come back as ``xsd:string`` and are made plain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
SCHEMA_PREDICATES = frozenset(  # a triple with one of these defines classes or properties
    str(p)
    for p in (
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        OWL.inverseOf,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        OWL.propertyChainAxiom,
        OWL.unionOf,
        OWL.intersectionOf,
        OWL.complementOf,
        OWL.oneOf,
        OWL.onProperty,
        OWL.onClass,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.hasValue,
        OWL.hasKey,
        OWL.maxCardinality,
        OWL.maxQualifiedCardinality,
        OWL.members,
        OWL.disjointWith,
        OWL.propertyDisjointWith,
    )
)
SCHEMA_CLASSES = frozenset(  # x rdf:type one of these: x is a class or property being defined
    str(c)
    for c in (
        RDFS.Class,
        RDFS.Datatype,
        RDF.Property,
        OWL.Class,
        OWL.Restriction,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.TransitiveProperty,
        OWL.SymmetricProperty,
        OWL.AsymmetricProperty,
        OWL.ReflexiveProperty,
        OWL.IrreflexiveProperty,
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.AllDisjointClasses,
        OWL.AllDisjointProperties,
    )
)
Triple = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]
REFLEXIVE = frozenset(str(p) for p in REFLEXIVE_NOISE)
TYPE = str(RDF.type)
THING = str(OWL.Thing)

# Why a derived triple is not served: the cases of Cleaning.dropped, in the order tested.
NOT_RDF = "not RDF: a literal as subject"
REFLEXIVE_TAUTOLOGY = "reflexive tautology: x owl:sameAs x, C rdfs:subClassOf C"
THING_TAUTOLOGY = "true of everything: owl:Thing as object"
BUILTIN_AXIOM = "an axiom about the rdf/rdfs/owl/xsd vocabularies"
SCHEMA_RESTATED = "a schema statement: restates the ontology, served in its own graph"
HELPER_TYPING = "a typing into a helper union class (a domain or range, not a kind of thing)"


@dataclass(frozen=True)
class Cleaning:
    """The one rule deciding which derived triples are served, for every reasoner. Terms are
    given by their lexical value and whether they are literals (subject) or IRIs (object), so
    that rdflib and pyoxigraph terms go through the same code."""

    helper_classes: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *sources: rdflib.Graph | Iterable[Triple]) -> Cleaning:
        """The cleaning for data reasoned with ``sources`` (graphs or triples): the classes
        they define by ``owl:unionOf`` are the helper classes."""
        helpers: set[str] = set()
        for source in sources:
            if isinstance(source, rdflib.Graph):
                unions: Iterable = source.subjects(OWL.unionOf, None)
            else:
                unions = (s for s, p, _ in source if p == OWL.unionOf)
            helpers.update(str(c) for c in unions if isinstance(c, rdflib.URIRef))
        return cls(frozenset(helpers))

    def dropped(
        self, s: str, s_literal: bool, p: str | None, o: str, o_iri: bool, reflexive: bool
    ) -> str | None:
        """Why the derived triple is not served, or None when it is. ``p`` is None when the
        predicate is not an IRI; ``reflexive`` is true when subject and object are one term."""
        if s_literal or p is None:
            return NOT_RDF
        if reflexive and p in REFLEXIVE:
            return REFLEXIVE_TAUTOLOGY
        if o_iri and o == THING:
            return THING_TAUTOLOGY
        if not s_literal and s.startswith(BUILTIN_NAMESPACES):
            return BUILTIN_AXIOM
        if p in SCHEMA_PREDICATES or (p == TYPE and o_iri and o in SCHEMA_CLASSES):
            return SCHEMA_RESTATED
        if p == TYPE and o_iri and o in self.helper_classes:
            return HELPER_TYPING
        return None

    def reason(self, triple: Triple) -> str | None:
        """:meth:`dropped` for an rdflib triple."""
        s, p, o = triple
        return self.dropped(
            str(s),
            isinstance(s, rdflib.Literal),
            str(p) if isinstance(p, rdflib.URIRef) else None,
            str(o),
            isinstance(o, rdflib.URIRef),
            s == o,
        )


NO_HELPERS = Cleaning()


def is_noise(triple: Triple, cleaning: Cleaning = NO_HELPERS) -> bool:
    """True for a derived triple that is not served (see :class:`Cleaning`)."""
    return cleaning.reason(triple) is not None


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
    cleaning = Cleaning.of(ontology, asserted)
    inferred = rdflib.Graph()
    for triple in closure((ontology, asserted)):
        if triple in ontology or triple in asserted or is_noise(triple, cleaning):
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
    cleaning = Cleaning.of(ontology, asserted)
    inferred = list(inferred_triples(ontology, rdflib.Graph()))  # schema-level facts
    seen = set(inferred)
    for triple in reasonable_closure(ontology, asserted):
        if triple in seen or triple in ontology or triple in given or is_noise(triple, cleaning):
            continue
        inferred.append(triple)
    return inferred


def _graph(triples: Iterable[Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in triples:
        graph.add(triple)
    return graph
