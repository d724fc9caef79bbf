"""OWL-RL materialisation of data far larger than a reasoner's working set: the reasoner is asked
what one triple entails (one probe per predicate and per class), the data streams through those
answers, and ipkg completes the rules that join triples (transitive properties, property chains).

``reasonable`` on the whole of 1M triples asks for 24 GiB; this way memory grows with the data
and the reasoner only ever sees the ontology plus one triple. Ontologies whose rules join triples
in other ways (owl:sameAs, functional properties with two values, intersections, restrictions,
keys) raise :class:`NotStreamable`, and the caller reasons over the whole graph instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF

from ipkg.build.reasoning import (
    NO_HELPERS,
    SCHEMA_PREDICATES,
    Cleaning,
    Triple,
    inferred_by,
    inferred_triples,
    is_noise,
    reasonable_closure,
)
from ipkg.build.reasoning import SCHEMA_CLASSES as SCHEMA_CLASS_IRIS
from ipkg.build.terms import rdflib_graph, to_oxigraph
from ipkg.errors import IpkgError

log = logging.getLogger(__name__)

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Slot = int | Term  # 0, 1, 2: the subject, predicate or object of the triple a rule fires on
Closure = Callable[[rdflib.Graph, Sequence[Triple]], set[Triple]]

TYPE = ox.NamedNode(str(RDF.type))
SAME_AS = ox.NamedNode(str(OWL.sameAs))
PROBE = tuple(
    rdflib.URIRef(f"urn:ipkg:probe:{role}") for role in ("subject", "predicate", "object")
)
UNMENTIONED_CLASS = rdflib.URIRef("urn:ipkg:probe:class")
SLOTS = {PROBE[0]: 0, PROBE[1]: 1, PROBE[2]: 2, UNMENTIONED_CLASS: 2}

SCHEMA_CLASSES = frozenset(ox.NamedNode(c) for c in SCHEMA_CLASS_IRIS)
LIST_CELLS = frozenset(ox.NamedNode(str(p)) for p in (RDF.first, RDF.rest))
JOINING_AXIOMS = {  # constructs whose rules join triples in ways this module does not complete
    str(OWL.intersectionOf): "owl:intersectionOf (cls-int1)",
    str(OWL.someValuesFrom): "owl:someValuesFrom (cls-svf1)",
    str(OWL.allValuesFrom): "owl:allValuesFrom (cls-avf)",
    str(OWL.hasValue): "owl:hasValue (cls-hv2)",
    str(OWL.hasKey): "owl:hasKey (prp-key)",
    str(OWL.maxCardinality): "owl:maxCardinality (cls-maxc2)",
    str(OWL.maxQualifiedCardinality): "owl:maxQualifiedCardinality (cls-maxqc3)",
    str(OWL.InverseFunctionalProperty): "owl:InverseFunctionalProperty (prp-ifp)",
    str(OWL.sameAs): "owl:sameAs (eq-rep-*)",
}


class NotStreamable(IpkgError, ValueError):
    """The ontology or data needs rules that join triples in ways streaming cannot complete."""


@dataclass(frozen=True)
class Entailment:
    """What one triple entails, beyond itself: classes its subject and object gain, and other
    triples whose slots name the firing triple's terms or constants."""

    subject_types: frozenset[Term] = frozenset()
    object_types: frozenset[Term] = frozenset()
    triples: tuple[tuple[Slot, Slot, Slot], ...] = ()


class Rules:
    """The ontology compiled: what one triple of each predicate, or one instance of each class,
    entails, asked of the reasoner in one run over the ontology and a probe per term, and the
    rules that join triples, which this module applies itself."""

    def __init__(self, schema: rdflib.Graph, closure: Closure) -> None:
        refuse_joining_axioms(schema)
        self.cleaning = Cleaning.of(schema)
        self.base = closure(schema, [])  # what the schema entails on its own
        probes = Probes(sorted({t for triple in schema for t in triple if is_probed(t)}))
        answers = probes.entailments(closure(schema, probes.triples), self.base, self.cleaning)
        self.unmentioned_predicate = answers.pop(GENERIC_PREDICATE)
        self.unmentioned_class = answers.pop(GENERIC_CLASS)
        self.by_predicate = {to_oxigraph(t): e for (kind, t), e in answers.items() if kind == "p"}
        self.by_class = {to_oxigraph(t): e for (kind, t), e in answers.items() if kind == "c"}
        self.transitive = frozenset(
            to_oxigraph(p) for p in schema.subjects(RDF.type, OWL.TransitiveProperty)
        )
        self.chains = tuple(
            (to_oxigraph(p), tuple(to_oxigraph(step) for step in Collection(schema, head)))
            for p, head in schema.subject_objects(OWL.propertyChainAxiom)
        )
        self.functional = frozenset(
            to_oxigraph(p) for p in schema.subjects(RDF.type, OWL.FunctionalProperty)
        )
        steps = {step for _, chain in self.chains for step in chain}
        made = {p for p, _ in self.chains}
        self.joined = self.transitive | steps | made  # predicates the joining rules read or make

    def for_triple(self, predicate: Term, obj: Term) -> Entailment:
        """What a triple with this predicate (and, for rdf:type, this class) entails."""
        if predicate == TYPE:
            return self.by_class.get(obj, self.unmentioned_class)
        return self.by_predicate.get(predicate, self.unmentioned_predicate)


def is_probed(term: rdflib.term.Node) -> bool:
    """True for an ontology term that data may use as a predicate or a class."""
    return isinstance(term, rdflib.URIRef) and str(term) not in SCHEMA_PREDICATES


ProbeKey = tuple[str, rdflib.term.Node]  # ("p", predicate) or ("c", class)
GENERIC_PREDICATE: ProbeKey = ("p", rdflib.URIRef("urn:ipkg:probe:predicate"))
GENERIC_CLASS: ProbeKey = ("c", rdflib.URIRef("urn:ipkg:probe:class"))


class Probes:
    """One probe triple per term as a predicate (``s_i term o_i``) and as a class
    (``x_i rdf:type term``), plus one with a term the ontology never mentions, each on fresh
    nodes so that no two probes can meet in a rule."""

    def __init__(self, terms: Sequence[rdflib.term.Node]) -> None:
        self.triples: list[Triple] = []
        self.keys: list[ProbeKey] = []
        self.slots: dict[rdflib.term.Node, tuple[ProbeKey, int]] = {}
        for i, term in enumerate(terms):
            self._add(("p", term), f"{i}p", as_predicate=True)
            self._add(("c", term), f"{i}c", as_predicate=False)
        self._add(GENERIC_PREDICATE, "gp", as_predicate=True)
        self._add(GENERIC_CLASS, "gc", as_predicate=False)

    def _add(self, key: ProbeKey, name: str, *, as_predicate: bool) -> None:
        node = rdflib.URIRef(f"urn:ipkg:probe:{name}:s")
        other = rdflib.URIRef(f"urn:ipkg:probe:{name}:o")
        triple = (node, key[1], other) if as_predicate else (node, RDF.type, key[1])
        self.triples.append(triple)
        self.keys.append(key)
        self.slots[node] = (key, 0)
        if as_predicate:
            self.slots[other] = (key, 2)
        if key in (GENERIC_PREDICATE, GENERIC_CLASS):  # the unmentioned term itself is a slot
            self.slots[key[1]] = (key, 1 if as_predicate else 2)

    def entailments(
        self, closure: set[Triple], base: set[Triple], cleaning: Cleaning
    ) -> dict[ProbeKey, Entailment]:
        """What each probe entails: each triple of the closure that is new and mentions probe
        nodes is credited to the probe they belong to, as slots."""
        found: dict[ProbeKey, list[tuple[Slot, Slot, Slot]]] = {k: [] for k in self.keys}
        probes = set(self.triples)
        for triple in closure:
            if triple in probes or triple in base or is_noise(triple, cleaning):
                continue
            owners = {self.slots[t][0] for t in triple if t in self.slots}
            if len(owners) != 1:
                raise NotStreamable(f"the ontology derives {triple} from more than one triple")
            found[owners.pop()].append(
                tuple(self.slots[t][1] if t in self.slots else to_oxigraph(t) for t in triple)
            )
        return {key: entailment_of(found[key], is_class=key[0] == "c") for key in found}


def entailment_of(found: Sequence[tuple[Slot, Slot, Slot]], *, is_class: bool) -> Entailment:
    """The triples credited to one probe, with the types of its subject and object apart."""
    subject_types: set[Term] = set()
    object_types: set[Term] = set()
    triples: list[tuple[Slot, Slot, Slot]] = []
    for s, p, o in found:
        if p == TYPE and s == 0 and not isinstance(o, int):
            subject_types.add(o)
        elif p == TYPE and s == 2 and not is_class and not isinstance(o, int):
            object_types.add(o)
        else:
            triples.append((s, p, o))
    return Entailment(frozenset(subject_types), frozenset(object_types), tuple(triples))


def is_schema(triple: ox.Triple) -> bool:
    """True for a triple that defines classes or properties, not one about the data."""
    if triple.predicate.value in SCHEMA_PREDICATES:
        return True
    return triple.predicate == TYPE and triple.object in SCHEMA_CLASSES


def stated_schema(asserted: Sequence[ox.Triple]) -> list[ox.Triple]:
    """The schema triples stated among the data, with the RDF lists they point to (the members
    of a union, the steps of a chain)."""
    schema = [t for t in asserted if is_schema(t)]
    pending = [t.object for t in schema if isinstance(t.object, ox.BlankNode)]
    if not pending:
        return schema
    cells: dict[Term, list[ox.Triple]] = {}
    for t in asserted:
        if t.predicate in LIST_CELLS:
            cells.setdefault(t.subject, []).append(t)
    seen: set[Term] = set()
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            schema += cells.get(node, [])
            pending += [t.object for t in cells.get(node, [])]
    return schema


def refuse_joining_axioms(schema: rdflib.Graph) -> None:
    """Raises :class:`NotStreamable` naming the first construct this module cannot complete."""
    for s, p, o in schema:
        for term in (p, o):
            if str(term) in JOINING_AXIOMS:
                raise NotStreamable(f"the ontology uses {JOINING_AXIOMS[str(term)]} on <{s}>")


def is_noise_term(s: Term, p: Term, o: Term, cleaning: Cleaning = NO_HELPERS) -> bool:
    """:func:`ipkg.build.reasoning.is_noise` for pyoxigraph terms (slots resolved to literals):
    the same :class:`~ipkg.build.reasoning.Cleaning` rule."""
    predicate = p.value if isinstance(p, ox.NamedNode) else None
    reason = cleaning.dropped(
        s.value, isinstance(s, ox.Literal), predicate, o.value, isinstance(o, ox.NamedNode), s == o
    )
    return reason is not None


@dataclass
class Materialisation:
    """The inferences gathered so far: classes per node, other derived triples, and the links
    the joining rules read, each kept once."""

    rules: Rules
    types: dict[Term, set[Term]] = field(default_factory=dict)
    triples: set[ox.Triple] = field(default_factory=set)
    links: dict[Term, dict[Term, set[Term]]] = field(default_factory=dict)
    functional: dict[tuple[Term, Term], Term] = field(default_factory=dict)

    def add(self, s: Term, p: Term, o: Term) -> None:
        """Records a triple (asserted or derived) and everything it entails on its own. The
        reasoner's answer for one triple is already closed, so what it entails is only noted."""
        self._note(s, p, o)
        rule = self.rules.for_triple(p, o)
        if rule.subject_types:
            self.types.setdefault(s, set()).update(rule.subject_types)
        if rule.object_types and not isinstance(o, ox.Literal):
            self.types.setdefault(o, set()).update(rule.object_types)
        terms = (s, p, o)
        for slots in rule.triples:
            derived = tuple(terms[x] if isinstance(x, int) else x for x in slots)
            if is_noise_term(*derived, self.rules.cleaning):
                continue
            triple = ox.Triple(*derived)
            if triple not in self.triples:
                self.triples.add(triple)
                self._note(*derived)

    def _note(self, s: Term, p: Term, o: Term) -> None:
        if p == TYPE:
            self.types.setdefault(s, set()).add(o)
        elif p in self.rules.joined:
            self.links.setdefault(p, {}).setdefault(s, set()).add(o)
        if p in self.rules.functional:
            self._check_functional(s, p, o)

    def _check_functional(self, s: Term, p: Term, o: Term) -> None:
        seen = self.functional.setdefault((s, p), o)
        if seen != o:
            raise NotStreamable(
                f"<{p.value}> is functional but {s} has two values, {seen} and {o} "
                "(prp-fp makes them owl:sameAs)"
            )

    def join(self) -> None:
        """Applies transitivity and property chains until nothing new follows."""
        while True:
            new = {(s, p, o) for s, p, o in self._joined() if o not in self.linked(s, p)}
            if not new:
                return
            for s, p, o in new:
                self.links.setdefault(p, {}).setdefault(s, set()).add(o)
                triple = ox.Triple(s, p, o)
                if not is_noise_term(s, p, o, self.rules.cleaning) and triple not in self.triples:
                    self.triples.add(triple)
                    self.add(s, p, o)

    def linked(self, s: Term, p: Term) -> set[Term]:
        """The objects ``s`` is known to have for a predicate the joining rules read or make."""
        return self.links.get(p, {}).get(s, set())

    def _joined(self) -> Iterator[tuple[Term, Term, Term]]:
        for p in self.rules.transitive:
            for s, reached in reachable(self.links.get(p, {})).items():
                yield from ((s, p, o) for o in reached)
        for p, steps in self.rules.chains:
            ends = {s: set(objects) for s, objects in self.links.get(steps[0], {}).items()}
            for step in steps[1:]:
                links = self.links.get(step, {})
                ends = {
                    s: {e for mid in mids for e in links.get(mid, ())} for s, mids in ends.items()
                }
            for s, objects in ends.items():
                yield from ((s, p, o) for o in objects)

    def inferred(self, asserted: set[ox.Triple]) -> Iterator[ox.Triple]:
        """Every derived triple not among the asserted ones (and not noise)."""
        for triple in self.triples:
            if triple not in asserted:
                yield triple
        for node, classes in self.types.items():
            if isinstance(node, ox.Literal):
                continue
            for c in classes:
                triple = ox.Triple(node, TYPE, c)
                if triple in asserted or triple in self.triples:
                    continue
                if is_noise_term(node, TYPE, c, self.rules.cleaning):
                    continue
                yield triple


def reachable(links: dict[Term, set[Term]]) -> dict[Term, set[Term]]:
    """For each node with links, every node reached over one or more of them."""
    reached: dict[Term, set[Term]] = {}
    for start in links:
        seen: set[Term] = set()
        frontier = list(links[start])
        while frontier:
            node = frontier.pop()
            if node not in seen:
                seen.add(node)
                frontier.extend(links.get(node, ()))
        reached[start] = seen
    return reached


def schema_of(ontology: Sequence[ox.Triple], asserted: Sequence[ox.Triple]) -> rdflib.Graph:
    """The ontology and the schema stated in the data, as one graph for the reasoners."""
    return rdflib_graph([*ontology, *stated_schema(asserted)])


def materialised(
    schema: rdflib.Graph,
    ontology: Sequence[ox.Triple],
    asserted: Sequence[ox.Triple],
    closure: Closure,
) -> list[ox.Triple]:
    """What OWL-RL derives from ``asserted`` over ``schema`` (:func:`schema_of`), by the
    reasoner behind ``closure``, cleaned, minus the inputs. Raises :class:`NotStreamable` when
    the inputs need a whole-graph reasoner."""
    predicates = {t.predicate for t in asserted}
    if SAME_AS in predicates:
        raise NotStreamable(f"the data uses {JOINING_AXIOMS[str(OWL.sameAs)]}")
    rules = Rules(schema, closure)
    state = Materialisation(rules)
    for triple in asserted:
        state.add(triple.subject, triple.predicate, triple.object)
    state.join()
    if any(t.predicate == SAME_AS for t in state.triples):
        raise NotStreamable("the data derives owl:sameAs (eq-rep-*)")
    given = set(asserted)
    given.update(ontology)
    schema_facts = (
        ox.Triple(*map(to_oxigraph, t))
        for t in rules.base
        if t not in schema and not is_noise(t, rules.cleaning)
    )
    inferred = dict.fromkeys(state.inferred(given))
    inferred.update(dict.fromkeys(t for t in schema_facts if t not in given))
    return list(inferred)


def fast_inferred(ontology: Sequence[ox.Triple], asserted: Sequence[ox.Triple]) -> list[ox.Triple]:
    """What ``--reasoner reasonable`` derives: schema-level facts from owlrl on the ontology and
    the schema stated in the data (reasonable has no scm-* rules), the rest streamed through
    reasonable's answers, or reasonable over the whole graph when the inputs are not
    streamable."""
    schema = schema_of(ontology, asserted)
    schema_facts = inferred_triples(schema, rdflib.Graph())
    try:
        derived = materialised(schema, ontology, asserted, reasonable_closure)
    except NotStreamable as exc:
        log.info("reasoning over the whole graph: %s", exc)
        whole = inferred_by("reasonable", rdflib_graph(ontology), rdflib_graph(asserted))
        derived = [ox.Triple(*map(to_oxigraph, t)) for t in whole]
    known = set(derived)
    extra = (ox.Triple(*map(to_oxigraph, t)) for t in schema_facts)
    return derived + [t for t in extra if t not in known]
