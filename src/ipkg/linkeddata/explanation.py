""" "Why is this true?": for a triple of the inferred graph, the OWL-RL rules that derive it and
the triples each rule started from, found by pattern search in the store; premises that are
themselves inferred are explained in turn, up to a small depth."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from ipkg.linkeddata.describe import (
    OxTerm,
    Select,
    Sentence,
    Support,
    Term,
    graph_role,
    prefixes,
    sentence_of,
    sentence_order,
    support_of,
)
from ipkg.linkeddata.inference_kinds import ALIGNMENT, kind_of
from ipkg.linkeddata.labels import local_name, pick
from ipkg.namespaces import OWL, RDF_TYPE, RDFS, Namespaces

MAX_DERIVATIONS = 6
MAX_DEPTH = 2


@dataclass(frozen=True)
class Rule:
    """An OWL 2 RL rule (names from the OWL 2 Profiles spec, table 4-9) and what it says."""

    name: str
    title: str
    reading: str
    query: str
    premises: tuple[tuple[str, str, str], ...]
    """Each premise as (subject, predicate, object): a variable name (``?x``), or a full IRI."""
    for_types: bool = False


# Rules whose conclusion is ``?s rdf:type ?o``.
TYPE_RULES = (
    Rule(
        "cax-sco",
        "subclass",
        "Every member of a subclass is a member of its superclass.",
        "SELECT DISTINCT ?s ?p ?o ?c WHERE { ?s a ?c . ?c rdfs:subClassOf ?o . FILTER(?c != ?o) }",
        (("?s", RDF_TYPE, "?c"), ("?c", RDFS + "subClassOf", "?o")),
        True,
    ),
    Rule(
        "cax-eqc",
        "equivalent class",
        "Members of a class are members of every class equivalent to it.",
        "SELECT DISTINCT ?s ?p ?o ?c WHERE { ?s a ?c . "
        "{ ?c owl:equivalentClass ?o } UNION { ?o owl:equivalentClass ?c } FILTER(?c != ?o) }",
        (("?s", RDF_TYPE, "?c"), ("?c", OWL + "equivalentClass", "?o")),
        True,
    ),
    Rule(
        "prp-dom",
        "domain",
        "Whatever has a property is a member of the property's domain.",
        "SELECT DISTINCT ?s ?p ?o ?q ?y WHERE { ?q rdfs:domain ?o . ?s ?q ?y } LIMIT 20",
        (("?s", "?q", "?y"), ("?q", RDFS + "domain", "?o")),
        True,
    ),
    Rule(
        "prp-rng",
        "range",
        "Whatever a property points to is a member of the property's range.",
        "SELECT DISTINCT ?s ?p ?o ?q ?y WHERE { ?q rdfs:range ?o . ?y ?q ?s } LIMIT 20",
        (("?y", "?q", "?s"), ("?q", RDFS + "range", "?o")),
        True,
    ),
    Rule(
        "cls-uni",
        "union",
        "A member of one of the classes of a union is a member of the union.",
        "SELECT DISTINCT ?s ?p ?o ?c WHERE { ?o owl:unionOf/rdf:rest*/rdf:first ?c . ?s a ?c }",
        (("?s", RDF_TYPE, "?c"), ("?o", OWL + "unionOf", "?c")),
        True,
    ),
)

# Rules whose conclusion is ``?s ?p ?o`` for a property other than rdf:type.
PROPERTY_RULES = (
    Rule(
        "prp-spo1",
        "subproperty",
        "A triple with a subproperty also holds with each of its superproperties.",
        "SELECT DISTINCT ?s ?p ?o ?q WHERE { ?q rdfs:subPropertyOf ?p . ?s ?q ?o . "
        "FILTER(?q != ?p) }",
        (("?s", "?q", "?o"), ("?q", RDFS + "subPropertyOf", "?p")),
    ),
    Rule(
        "prp-eqp",
        "equivalent property",
        "A triple holds with every property equivalent to its own.",
        "SELECT DISTINCT ?s ?p ?o ?q WHERE { { ?q owl:equivalentProperty ?p } UNION "
        "{ ?p owl:equivalentProperty ?q } ?s ?q ?o . FILTER(?q != ?p) }",
        (("?s", "?q", "?o"), ("?q", OWL + "equivalentProperty", "?p")),
    ),
    Rule(
        "prp-inv",
        "inverse",
        "A triple holds in the other direction with the inverse property.",
        "SELECT DISTINCT ?s ?p ?o ?q WHERE { { ?p owl:inverseOf ?q } UNION { ?q owl:inverseOf ?p } "
        "?o ?q ?s }",
        (("?o", "?q", "?s"), ("?q", OWL + "inverseOf", "?p")),
    ),
    Rule(
        "prp-symp",
        "symmetric",
        "A symmetric property holds in both directions.",
        "SELECT * WHERE { ?p a owl:SymmetricProperty . ?o ?p ?s }",
        (("?o", "?p", "?s"), ("?p", RDF_TYPE, OWL + "SymmetricProperty")),
    ),
    Rule(
        "prp-trp",
        "transitive",
        "A transitive property links the ends of every chain of its own links.",
        "SELECT DISTINCT ?s ?p ?o ?m WHERE { ?p a owl:TransitiveProperty . ?s ?p ?m . ?m ?p ?o . "
        "FILTER(?m != ?s && ?m != ?o) } LIMIT 20",
        (("?s", "?p", "?m"), ("?m", "?p", "?o"), ("?p", RDF_TYPE, OWL + "TransitiveProperty")),
    ),
    Rule(
        "prp-spo2",
        "property chain",
        "Following the properties of a chain axiom one after the other gives the property.",
        "SELECT DISTINCT ?s ?p ?o ?p1 ?p2 ?m WHERE { ?p owl:propertyChainAxiom ?l . "
        "?l rdf:first ?p1 ; rdf:rest ?r . ?r rdf:first ?p2 ; rdf:rest rdf:nil . "
        "?s ?p1 ?m . ?m ?p2 ?o } LIMIT 20",
        (("?s", "?p1", "?m"), ("?m", "?p2", "?o"), ("?p", OWL + "propertyChainAxiom", "?chain")),
    ),
    Rule(
        "scm-sco",
        "subclass transitivity",
        "A subclass of a subclass is a subclass.",
        "SELECT DISTINCT ?s ?p ?o ?m WHERE { ?s rdfs:subClassOf ?m . ?m rdfs:subClassOf ?o . "
        "FILTER(?m != ?s && ?m != ?o) } LIMIT 20",
        (("?s", RDFS + "subClassOf", "?m"), ("?m", RDFS + "subClassOf", "?o")),
    ),
    Rule(
        "scm-spo",
        "subproperty transitivity",
        "A subproperty of a subproperty is a subproperty.",
        "SELECT DISTINCT ?s ?p ?o ?m WHERE { ?s rdfs:subPropertyOf ?m . ?m rdfs:subPropertyOf ?o . "
        "FILTER(?m != ?s && ?m != ?o) } LIMIT 20",
        (("?s", RDFS + "subPropertyOf", "?m"), ("?m", RDFS + "subPropertyOf", "?o")),
    ),
)
RULE_NAMES = tuple(r.name for r in (*TYPE_RULES, *PROPERTY_RULES))


@dataclass(frozen=True)
class Premise:
    """One triple a rule started from: where it is stated, the sentence behind it, and, if it
    is itself inferred, why it holds."""

    subject: Term
    predicate: Term
    object: Term
    role: str  # "asserted", "ontology", "inferred" or "missing"
    sentences: tuple[Sentence, ...] = ()
    because: tuple[Derivation, ...] = ()
    support: Support | None = None


@dataclass(frozen=True)
class Derivation:
    """One application of a rule: its premises lead to the conclusion."""

    rule: Rule
    premises: tuple[Premise, ...]


@dataclass(frozen=True)
class Explanation:
    """Why a triple holds: where it is stated and each way OWL-RL derives it."""

    subject: Term
    predicate: Term
    object: Term
    roles: tuple[str, ...]
    derivations: tuple[Derivation, ...]
    kind: str = ""
    """For an inferred triple: a new fact in ipkg's terms, or an alignment that restates a
    fact in another vocabulary (:mod:`ipkg.linkeddata.inference_kinds`)."""
    support: Support | None = None
    sentences: tuple[Sentence, ...] = ()

    @property
    def alignment(self) -> bool:
        return self.kind == ALIGNMENT

    @property
    def exists(self) -> bool:
        return bool(self.roles)

    @property
    def inferred(self) -> bool:
        return "inferred" in self.roles


TRIPLE_FACTS = """SELECT DISTINCT ?s ?p ?o ?g ?sentence ?n ?exact ?kind ?kindl ?reading ?rulel
WHERE {
  { GRAPH ?g { ?s ?p ?o } }
  UNION
  { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?sentence .
    OPTIONAL { ?sentence ipkg:sentenceNumber ?n }
    OPTIONAL { ?sentence oa:hasSelector ?sel . ?sel a oa:TextQuoteSelector ; oa:exact ?exact }
    OPTIONAL { ?st ipkg:support ?kind . OPTIONAL { ?kind rdfs:label ?kindl } }
    OPTIONAL { ?st ipkg:reading ?reading }
    OPTIONAL { ?st ipkg:rule ?rule . OPTIONAL { ?rule rdfs:label ?rulel } } }
}"""
LABELS = "SELECT ?x ?l WHERE { ?x rdfs:label ?l }"
Facts = tuple[tuple[str, ...], tuple[Sentence, ...], Support | None]


class _Explainer:
    """One explanation's queries, with the labels and triple facts it has already looked up."""

    def __init__(self, run: Select, ns: Namespaces, languages: tuple[str, ...]) -> None:
        self.run = run
        self.ns = ns
        self.languages = languages
        self.head = prefixes(ns) + f"PREFIX owl: <{OWL}>\n"
        self.labels: dict[str, str] = {}
        self.facts: dict[tuple[str, str, str], Facts] = {}

    def term(self, t: OxTerm) -> Term:
        if isinstance(t, ox.NamedNode):
            if t.value not in self.labels:
                rows = self.run(self.head + LABELS, {"x": t})
                pairs = {
                    (r["l"].value, r["l"].language or "")
                    for r in rows
                    if isinstance(r["l"], ox.Literal)
                }
                chosen = pick(pairs, self.languages)
                self.labels[t.value] = chosen[0] if chosen else local_name(t.value)
            return Term("iri", t.value, self.labels[t.value], nt=str(t))
        if isinstance(t, ox.BlankNode):
            return Term("bnode", t.value, "_:" + t.value, nt=str(t))
        datatype = "" if t.language else t.datatype.value
        return Term("literal", t.value, t.value, t.language or "", datatype, str(t))

    def triple_facts(self, s: OxTerm, p: OxTerm, o: OxTerm) -> Facts:
        """The roles of the graphs that hold the triple, the sentences stating it, and how
        they support it."""
        key = (str(s), str(p), str(o))
        if key not in self.facts:
            bindings = {"s": s, "p": p, "o": o}
            rows = self.run(self.head + TRIPLE_FACTS, bindings)
            roles = {graph_role(r["g"], self.ns) for r in rows if "g" in r}
            if not roles and self.run_ask(bindings):
                roles.add("asserted")
            sentences = {sentence_of(r) for r in rows if "sentence" in r}
            supports = [found for r in rows if (found := support_of(r)) is not None]
            self.facts[key] = (
                tuple(sorted(roles)),
                tuple(sorted(sentences, key=sentence_order)),
                supports[0] if supports else None,
            )
        return self.facts[key]

    def run_ask(self, bindings: dict[str, OxTerm]) -> bool:
        query = self.head + "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 1"
        return bool(self.run(query, bindings))

    def derivations(
        self, s: OxTerm, p: OxTerm, o: OxTerm, depth: int, path: frozenset[str]
    ) -> tuple[Derivation, ...]:
        """The ways the rules derive the triple, fewest inferred premises first; premises are
        taken in term order, so the explanation is the same whatever order the store gives."""
        rules = TYPE_RULES if p.value == RDF_TYPE else PROPERTY_RULES
        found: list[Derivation] = []
        for rule in rules:
            bindings = {"s": s, "p": p, "o": o}
            rows = self.run(self.head + rule.query, bindings)
            for row in sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items())):
                values = {**bindings, **row}
                premises = self.premises(rule, values, depth, path)
                if premises is not None:
                    found.append(Derivation(rule, premises))
                if len(found) >= MAX_DERIVATIONS:
                    break
        return tuple(sorted(found, key=_grounded_first))

    def premises(
        self, rule: Rule, values: dict[str, OxTerm], depth: int, path: frozenset[str]
    ) -> tuple[Premise, ...] | None:
        premises: list[Premise] = []
        for pattern in rule.premises:
            s, p, o = (_resolve(part, values) for part in pattern)
            if o is None and rule.name == "prp-spo2":
                chain = f"({self.term(values['p1']).label} · {self.term(values['p2']).label})"
                premises.append(
                    Premise(self.term(s), self.term(p), Term("literal", chain, chain), "ontology")
                )
                continue
            if rule.name == "cls-uni" and p.value == OWL + "unionOf":
                members = Term("literal", "(… " + self.term(o).label + " …)", "")
                premises.append(Premise(self.term(s), self.term(p), members, "ontology"))
                continue
            if s is None or p is None or o is None:
                return None
            key = f"{s} {p} {o}"
            if key in path:
                return None  # circular: the premise is the conclusion being explained
            roles, sentences, support = self.triple_facts(s, p, o)
            role = _main_role(roles)
            because: tuple[Derivation, ...] = ()
            if role == "inferred" and depth < MAX_DEPTH:
                because = self.derivations(s, p, o, depth + 1, path | {key})[:1]
            premises.append(
                Premise(self.term(s), self.term(p), self.term(o), role, sentences, because, support)
            )
        return tuple(premises)


def _resolve(part: str, values: dict[str, OxTerm]) -> OxTerm | None:
    if part.startswith("?"):
        return values.get(part[1:])
    return ox.NamedNode(part)


def _main_role(roles: Iterable[str]) -> str:
    roles = set(roles)
    for role in ("asserted", "ontology", "inferred"):
        if role in roles:
            return role
    return "missing"


def _grounded_first(derivation: Derivation) -> tuple[int, str]:
    inferred = sum(p.role == "inferred" for p in derivation.premises)
    return (inferred, derivation.rule.name)


def explain(
    run: Select, ns: Namespaces, triple: tuple[OxTerm, OxTerm, OxTerm], languages: tuple[str, ...]
) -> Explanation:
    """Why the triple holds: the graphs stating it and, if it is inferred, its derivations."""
    s, p, o = triple
    explainer = _Explainer(run, ns, languages)
    roles, sentences, support = explainer.triple_facts(s, p, o)
    derivations: tuple[Derivation, ...] = ()
    kind = ""
    if "inferred" in roles:
        derivations = explainer.derivations(s, p, o, 1, frozenset({f"{s} {p} {o}"}))
        kind = kind_of(p.value, o.value if isinstance(o, ox.NamedNode) else "", ns)
    return Explanation(
        explainer.term(s),
        explainer.term(p),
        explainer.term(o),
        roles,
        derivations,
        kind,
        support,
        sentences,
    )
