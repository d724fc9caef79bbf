"""Everything a page says about one IRI: labels, types (asserted or inferred), links out and in
with readable labels, a statistic in words, and the article sentences behind each fact.

Queries go through a :data:`Select` (a store in tests and on the command line, the query workers
in the web service), so this module never decides where a query runs.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from ipkg.linkeddata.labels import local_name, pick
from ipkg.namespaces import COMMON_PREFIXES, RDF_TYPE, RDFS, SKOS, Namespaces
from ipkg.sparql.results_json import term_from_json

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, OxTerm]
Select = Callable[[str, Mapping[str, OxTerm]], list[Row]]
"""Runs a SELECT with some variables bound in advance; answers its rows."""

RDFS_LABEL = RDFS + "label"
SKOS_DEFINITION = SKOS + "definition"
MAX_LINKS = 2000
PREFIXES = "".join(
    f"PREFIX {name}: <{COMMON_PREFIXES[name]}>\n"
    for name in ("rdf", "rdfs", "skos", "prov", "oa", "time", "dcterms")
)


def prefixes(ns: Namespaces) -> str:
    """The PREFIX lines of this module's queries, ``ipkg:`` and ``id:`` under the served base."""
    return PREFIXES + f"PREFIX ipkg: <{ns.ontology}>\nPREFIX id: <{ns.instances}>\n"


# ---------------------------------------------------------------------------------------------
# Runners


def store_select(store: ox.Store) -> Select:
    """A runner that queries a store directly (the union of its graphs)."""

    def run(query: str, bindings: Mapping[str, OxTerm]) -> list[Row]:
        options = {"substitutions": {ox.Variable(k): v for k, v in bindings.items()}}
        solutions = store.query(query, use_default_graph_as_union=True, **options)
        names = [v.value for v in solutions.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in solutions]

    return run


def rows_from_json(body: bytes) -> list[Row]:
    """The rows of a SPARQL JSON SELECT result."""
    data = json.loads(body)
    return [
        {name: term_from_json(b) for name, b in row.items()}
        for row in data.get("results", {}).get("bindings", [])
    ]


# ---------------------------------------------------------------------------------------------
# What pages show


@dataclass(frozen=True)
class Term:
    """An RDF term ready to show: its value, its chosen label and, for literals, language and
    datatype. ``nt`` is its N-Triples form (used to name a triple in a URL)."""

    kind: str  # "iri", "bnode" or "literal"
    value: str
    label: str
    language: str = ""
    datatype: str = ""
    nt: str = ""

    @property
    def is_iri(self) -> bool:
        return self.kind == "iri"

    @property
    def is_literal(self) -> bool:
        return self.kind == "literal"


@dataclass(frozen=True)
class Sentence:
    """A sentence of the article that states a fact."""

    iri: str
    number: int | None
    text: str

    @property
    def anchor(self) -> str:
        return f"s{self.number:02d}" if self.number is not None else local_name(self.iri)


@dataclass(frozen=True)
class Support:
    """How the article supports a reified fact: ``key`` is stated, read or derived, ``kind``
    its label, ``reason`` the reading in words or the rule's label."""

    key: str
    kind: str
    reason: str = ""


@dataclass(frozen=True)
class Link:
    """One triple shown on a page: the other end, where it is stated, and why it holds."""

    predicate: Term
    value: Term
    asserted: bool
    inferred: bool
    in_ontology: bool = False
    sentences: tuple[Sentence, ...] = ()
    details: tuple[tuple[Term, Term], ...] = ()
    support: Support | None = None


@dataclass(frozen=True)
class PropertyGroup:
    """The links of one property, in reading order."""

    predicate: Term
    links: tuple[Link, ...]


@dataclass(frozen=True)
class TypeInfo:
    """A class of the resource, and whether it is stated, derived, or both."""

    term: Term
    asserted: bool
    inferred: bool


@dataclass(frozen=True)
class StatisticText:
    """A statistic in words ("over 150 sessions ...") and the parts it was built from."""

    phrase: str
    value: str
    qualifier: str = ""
    unit: str = ""
    measure: str = ""
    period: str = ""
    area: str = ""


@dataclass(frozen=True)
class Description:
    """What the resource page of one IRI shows."""

    iri: str
    label: str
    label_language: str
    labels: tuple[tuple[str, str], ...] = ()
    definition: str = ""
    types: tuple[TypeInfo, ...] = ()
    outgoing: tuple[PropertyGroup, ...] = ()
    incoming: tuple[PropertyGroup, ...] = ()
    statistic: StatisticText | None = None
    sentences: tuple[Sentence, ...] = ()
    truncated: bool = False

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming or self.types)


@dataclass
class _Labels:
    """Labels collected from query rows, per IRI, to pick from once all rows are read."""

    languages: tuple[str, ...]
    found: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def add(self, iri: OxTerm | None, label: OxTerm | None) -> None:
        if isinstance(iri, ox.NamedNode) and isinstance(label, ox.Literal):
            self.found.setdefault(iri.value, set()).add((label.value, label.language or ""))

    def of(self, iri: str) -> tuple[str, str]:
        chosen = pick(self.found.get(iri, ()), self.languages)
        return chosen if chosen else (local_name(iri), "")

    def term(self, t: OxTerm) -> Term:
        if isinstance(t, ox.NamedNode):
            return Term("iri", t.value, self.of(t.value)[0], nt=str(t))
        if isinstance(t, ox.BlankNode):
            return Term("bnode", t.value, "_:" + t.value, nt=str(t))
        datatype = "" if t.language else t.datatype.value
        return Term("literal", t.value, t.value, t.language or "", datatype, str(t))


def graph_role(graph: OxTerm | None, ns: Namespaces) -> str:
    """Where a triple is stated: 'inferred', 'ontology' or 'asserted' (also the default graph)."""
    if isinstance(graph, ox.NamedNode):
        if graph.value == ns.graph("inferred"):
            return "inferred"
        if graph.value == ns.graph("ontology"):
            return "ontology"
    return "asserted"


def _key(t: OxTerm) -> str:
    return str(t)


OUTGOING = """SELECT DISTINCT ?this ?p ?o ?g ?pl ?ol WHERE {
  ?this ?p ?o .
  OPTIONAL { GRAPH ?g { ?this ?p ?o } }
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?o rdfs:label ?ol }
} LIMIT %d"""
INCOMING = """SELECT DISTINCT ?this ?s ?p ?g ?pl ?sl WHERE {
  ?s ?p ?this . FILTER(!isBlank(?s))
  OPTIONAL { GRAPH ?g { ?s ?p ?this } }
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?s rdfs:label ?sl }
} LIMIT %d"""
BLANK_DETAILS = """SELECT DISTINCT ?this ?b ?p ?o ?pl ?ol WHERE {
  ?this ?q ?b . FILTER(isBlank(?b))
  ?b ?p ?o .
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?o rdfs:label ?ol }
} LIMIT %d"""
SUPPORT = """SELECT DISTINCT ?this ?s ?p ?o ?sentence ?n ?exact ?kind ?kindl ?reading ?rulel WHERE {
  { ?st rdf:subject ?this ; rdf:predicate ?p ; rdf:object ?o . BIND(?this AS ?s) }
  UNION
  { ?st rdf:object ?this ; rdf:predicate ?p ; rdf:subject ?s . BIND(?this AS ?o) }
  ?st prov:wasDerivedFrom ?sentence .
  OPTIONAL { ?sentence ipkg:sentenceNumber ?n }
  OPTIONAL { ?sentence oa:hasSelector ?sel . ?sel a oa:TextQuoteSelector ; oa:exact ?exact }
  OPTIONAL { ?st ipkg:support ?kind . OPTIONAL { ?kind rdfs:label ?kindl } }
  OPTIONAL { ?st ipkg:reading ?reading }
  OPTIONAL { ?st ipkg:rule ?rule . OPTIONAL { ?rule rdfs:label ?rulel } }
}"""
STATISTIC = """SELECT ?this ?kind ?x ?xl ?rel ?whole ?wl WHERE {
  VALUES ?kind { ipkg:qualifier ipkg:unit ipkg:measure ipkg:refPeriod ipkg:refArea
                 ipkg:relativeTo }
  ?this ?kind ?x .
  OPTIONAL { ?x rdfs:label ?xl }
  OPTIONAL { VALUES ?rel { time:intervalStarts time:intervalFinishes time:intervalDuring }
             ?x ?rel ?whole . OPTIONAL { ?whole rdfs:label ?wl } }
}"""


def sentence_of(row: Row) -> Sentence:
    """The sentence named in a row with ``sentence``, ``n`` and ``exact``."""
    number = row.get("n")
    try:
        n = int(number.value) if number is not None else None
    except ValueError:
        n = None
    exact = row.get("exact")
    return Sentence(row["sentence"].value, n, exact.value if exact is not None else "")


TripleKey = tuple[str, str, str]


def support_of(row: Row) -> Support | None:
    """The kind of support named in a row with ``kind``, ``kindl``, ``reading`` and ``rulel``."""
    kind = row.get("kind")
    if kind is None:
        return None
    label = row.get("kindl")
    reason = row.get("reading") or row.get("rulel")
    return Support(
        kind.value.rsplit("/", 1)[-1],
        label.value if label is not None else local_name(kind.value),
        reason.value if reason is not None else "",
    )


def supporting_facts(
    run: Select, ns: Namespaces, iri: str
) -> tuple[dict[TripleKey, tuple[Sentence, ...]], dict[TripleKey, Support]]:
    """The sentences behind each reified fact whose subject or object is ``iri``, and how they
    support it, by triple (subject, predicate, object in N-Triples form)."""
    found: dict[TripleKey, set[Sentence]] = {}
    kinds: dict[TripleKey, Support] = {}
    for row in run(prefixes(ns) + SUPPORT, {"this": ox.NamedNode(iri)}):
        key = (_key(row["s"]), _key(row["p"]), _key(row["o"]))
        found.setdefault(key, set()).add(sentence_of(row))
        support = support_of(row)
        if support is not None:
            kinds[key] = support
    return {k: tuple(sorted(v, key=sentence_order)) for k, v in found.items()}, kinds


def sentence_order(sentence: Sentence) -> tuple[int, str]:
    return (sentence.number if sentence.number is not None else 10**9, sentence.iri)


def _grouped(
    rows: dict[tuple[str, str], dict], labels: _Labels, *, incoming: bool
) -> tuple[PropertyGroup, ...]:
    groups: dict[str, list[Link]] = {}
    predicates: dict[str, Term] = {}
    for item in rows.values():
        p = labels.term(item["p"])
        predicates[p.value] = p
        roles = item["roles"]
        groups.setdefault(p.value, []).append(
            Link(
                predicate=p,
                value=labels.term(item["v"]),
                asserted="asserted" in roles,
                inferred="inferred" in roles,
                in_ontology="ontology" in roles,
                sentences=item["sentences"],
                details=item.get("details", ()),
                support=item.get("support"),
            )
        )

    def order(link: Link) -> tuple:
        """By label; blank nodes by what they say, so that the order does not depend on the
        labels a store happens to give them."""
        if link.value.kind == "bnode":
            return (False, "", tuple((p.label, o.label) for p, o in link.details), "")
        return (link.value.is_literal, link.value.label.lower(), (), link.value.value)

    result = [
        PropertyGroup(predicates[p], tuple(sorted(links, key=order))) for p, links in groups.items()
    ]
    first = (RDF_TYPE, RDFS_LABEL)
    return tuple(
        sorted(
            result,
            key=lambda g: (
                g.predicate.value not in first,
                first.index(g.predicate.value) if g.predicate.value in first else 0,
                g.predicate.label.lower(),
            ),
        )
    )


def _blank_details(
    run: Select, ns: Namespaces, iri: str, labels: _Labels
) -> dict[str, tuple[tuple[Term, Term], ...]]:
    rows = run(prefixes(ns) + BLANK_DETAILS % MAX_LINKS, {"this": ox.NamedNode(iri)})
    for row in rows:
        labels.add(row.get("p"), row.get("pl"))
        labels.add(row.get("o"), row.get("ol"))
    details: dict[str, set[tuple[OxTerm, OxTerm]]] = {}
    for row in rows:
        details.setdefault(_key(row["b"]), set()).add((row["p"], row["o"]))
    return {
        b: tuple(
            sorted(
                ((labels.term(p), labels.term(o)) for p, o in pairs),
                key=lambda pair: (pair[0].value != RDF_TYPE, pair[0].label, pair[1].label),
            )
        )
        for b, pairs in details.items()
    }


def describe(run: Select, ns: Namespaces, iri: str, languages: tuple[str, ...]) -> Description:
    """Everything the page of ``iri`` shows, labels in the first of ``languages`` available."""
    this = ox.NamedNode(iri)
    labels = _Labels(languages)
    out_rows = run(prefixes(ns) + OUTGOING % MAX_LINKS, {"this": this})
    in_rows = run(prefixes(ns) + INCOMING % MAX_LINKS, {"this": this})
    support, kinds = supporting_facts(run, ns, iri)
    own_labels: set[tuple[str, str]] = set()
    definitions: set[tuple[str, str]] = set()
    outgoing: dict[tuple[str, str], dict] = {}
    for row in out_rows:
        p, o = row["p"], row["o"]
        labels.add(p, row.get("pl"))
        labels.add(o, row.get("ol"))
        if p.value == RDFS_LABEL and isinstance(o, ox.Literal):
            own_labels.add((o.value, o.language or ""))
        if p.value == SKOS_DEFINITION and isinstance(o, ox.Literal):
            definitions.add((o.value, o.language or ""))
        item = outgoing.setdefault(
            (_key(p), _key(o)),
            {
                "p": p,
                "v": o,
                "roles": set(),
                "sentences": support.get((str(this), _key(p), _key(o)), ()),
                "support": kinds.get((str(this), _key(p), _key(o))),
            },
        )
        item["roles"].add(graph_role(row.get("g"), ns))
    incoming: dict[tuple[str, str], dict] = {}
    for row in in_rows:
        s, p = row["s"], row["p"]
        labels.add(p, row.get("pl"))
        labels.add(s, row.get("sl"))
        item = incoming.setdefault(
            (_key(p), _key(s)),
            {
                "p": p,
                "v": s,
                "roles": set(),
                "sentences": support.get((_key(s), _key(p), str(this)), ()),
                "support": kinds.get((_key(s), _key(p), str(this))),
            },
        )
        item["roles"].add(graph_role(row.get("g"), ns))
    labels.found.setdefault(iri, set()).update(own_labels)
    if any(isinstance(item["v"], ox.BlankNode) for item in outgoing.values()):
        details = _blank_details(run, ns, iri, labels)
        for item in outgoing.values():
            item["details"] = details.get(_key(item["v"]), ())
    types = tuple(
        sorted(
            (
                TypeInfo(
                    labels.term(item["v"]),
                    asserted=bool(item["roles"] & {"asserted", "ontology"}),
                    inferred="inferred" in item["roles"],
                )
                for item in outgoing.values()
                if item["p"].value == RDF_TYPE
            ),
            key=lambda t: (not t.asserted, t.term.label.lower()),
        )
    )
    label, language = labels.of(iri)
    definition = pick(definitions, languages)
    all_sentences = {s for sentences in support.values() for s in sentences}
    is_statistic = any(t.term.value == ns.ontology + "Statistic" for t in types)
    return Description(
        iri=iri,
        label=label,
        label_language=language,
        labels=tuple(sorted(own_labels, key=lambda pair: (pair[1], pair[0]))),
        definition=definition[0] if definition else "",
        types=types,
        outgoing=_grouped(outgoing, labels, incoming=False),
        incoming=_grouped(incoming, labels, incoming=True),
        statistic=statistic_text(run, ns, iri, outgoing, languages) if is_statistic else None,
        sentences=tuple(sorted(all_sentences, key=sentence_order)),
        truncated=len(out_rows) >= MAX_LINKS or len(in_rows) >= MAX_LINKS,
    )


# ---------------------------------------------------------------------------------------------
# Statistics in words


def number_words(literal: ox.Literal) -> str:
    """A number as a reader writes it: thousands separated, no needless decimals."""
    try:
        number = Decimal(literal.value)
    except InvalidOperation:
        return literal.value
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def _plain(label: str) -> str:
    """A label without its parenthetical ("times (ratio)" -> "times")."""
    return label.split(" (")[0].strip()


def _the(name: str) -> str:
    return name if name.lower().startswith("the ") else "the " + name


def date_words(value: str) -> str:
    """An xsd:date as words: '2023-12-31' -> 'the end of 2023', else '3 July 2024'."""
    months = calendar.month_name
    try:
        year, month, day = (int(part) for part in value[:10].split("-"))
        if (month, day) == (12, 31):
            return f"the end of {year}"
        return f"{day} {months[month - 1]} {year}"
    except (ValueError, IndexError):
        return value


TIME = "http://www.w3.org/2006/time#"


def period_words(label: str, relation: str, whole: str) -> str:
    """When a statistic holds, from its period and how that period sits in a larger one (OWL
    Time): 'since the start of X' (intervalStarts X), 'at the end of X' (intervalFinishes X),
    'during X' otherwise; 'in the past four years' for a period named relative to now."""
    if relation == TIME + "intervalStarts" and whole:
        return f"since the start of {_the(_plain(whole))}"
    if relation == TIME + "intervalFinishes" and whole:
        return f"at the end of {_the(_plain(whole))}"
    if relation == TIME + "intervalDuring" and whole:
        return f"during {_the(_plain(whole))}"
    if not label:
        return ""
    plain = _plain(label)
    if plain.lower().startswith(("the past", "the last", "past ", "last ")):
        return f"in {_the(plain)}"
    return f"during {_the(plain)}"


def statistic_text(
    run: Select,
    ns: Namespaces,
    iri: str,
    outgoing: dict[tuple[str, str], dict],
    languages: tuple[str, ...],
) -> StatisticText | None:
    """The statistic as a phrase built from its value, qualifier, measure (or unit), area and
    period or date: "over 150 retraining sessions ... since the start of the 14th Five-Year
    Plan period". The phrase is English, so English labels are preferred in it."""
    values = {
        item["p"].value: item["v"]
        for item in outgoing.values()
        if isinstance(item["v"], ox.Literal)
    }
    value = values.get(ns.ontology + "value")
    if value is None:
        return None
    parts: dict[str, dict] = {}
    for row in run(prefixes(ns) + STATISTIC, {"this": ox.NamedNode(iri)}):
        kind = row["kind"].value[len(ns.ontology) :]
        part = parts.setdefault(kind, {"iri": row["x"].value, "labels": set(), "whole": set()})
        if isinstance(row.get("xl"), ox.Literal):
            part["labels"].add((row["xl"].value, row["xl"].language or ""))
        if row.get("rel") is not None:
            part["rel"] = row["rel"].value
            if isinstance(row.get("wl"), ox.Literal):
                part["whole"].add((row["wl"].value, row["wl"].language or ""))

    def label(kind: str, key: str = "labels") -> str:
        part = parts.get(kind)
        if not part:
            return ""
        chosen = pick(part[key], ("en", *languages))
        if chosen:
            return chosen[0]
        return local_name(part["iri"]) if key == "labels" else ""

    qualifier = label("qualifier")
    exact = parts.get("qualifier", {}).get("iri", "").endswith("/exact")
    unit, measure = _plain(label("unit")), label("measure")
    relative, area = _plain(label("relativeTo")), label("refArea")
    period = parts.get("refPeriod", {})
    when = period_words(label("refPeriod"), period.get("rel", ""), label("refPeriod", "whole"))
    ref_date = values.get(ns.ontology + "refDate")
    if ref_date is not None and not when:
        when = f"at {date_words(ref_date.value)}"
    amount = " ".join(w for w in ("" if exact else qualifier, number_words(value)) if w)
    where = f"in {area}" if area else ""
    if relative:
        subject = " ".join(w for w in (measure, where) if w)
        words = [f"{subject}:" if subject else "", amount, unit or "times", _the(relative), when]
    else:
        words = [amount, measure or unit, where, when]
    return StatisticText(
        phrase=" ".join(w for w in words if w),
        value=number_words(value),
        qualifier=qualifier,
        unit=unit,
        measure=measure,
        period=label("refPeriod"),
        area=area,
    )


def literal_terms(pairs: Iterable[tuple[str, str]]) -> list[Term]:
    """Labels as literal terms, for listing every label a resource has."""
    return [Term("literal", text, text, lang) for text, lang in pairs]
