"""Checks that the data is what the ontology promises: SHACL shapes run with pyshacl, every
quoted sentence compared with the source article at its character offsets, and every reified
fact compared with the sentences it cites."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError
from rdflib.namespace import SH

OA = rdflib.Namespace("http://www.w3.org/ns/oa#")


@dataclass(frozen=True)
class Violation:
    """One thing wrong with the data: the node, the property path, and what is wrong."""

    focus: str
    path: str | None
    message: str
    severity: str = "Violation"

    def __str__(self) -> str:
        where = f"{self.focus} {self.path}" if self.path else self.focus
        return f"{self.severity}: {where}: {self.message}"


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "unusable shapes graph"


def _text(node: rdflib.term.Node | None) -> str | None:
    return None if node is None else node.n3() if isinstance(node, rdflib.BNode) else str(node)


def shacl_violations(
    data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None = None
) -> list[Violation]:
    """The SHACL results of validating ``data`` (with the class hierarchy of ``ontology``)."""
    try:
        _conforms, report, text_report = pyshacl.validate(
            data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
        )
    except ReportableRuntimeError as exc:  # the shapes themselves are broken
        return [Violation("shapes", None, _first_line(exc.message))]
    if not isinstance(report, rdflib.Graph):  # pyshacl returned a failure, not a report
        return [Violation("shapes", None, _first_line(str(text_report)))]
    violations = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        violations.append(
            Violation(
                focus=_text(report.value(result, SH.focusNode)) or "?",
                path=_text(report.value(result, SH.resultPath)),
                message=str(report.value(result, SH.resultMessage) or "constraint not met"),
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            )
        )
    return sorted(violations, key=lambda v: (v.focus, v.path or "", v.message))


def quote_violations(data: rdflib.Graph, source_text: str) -> list[Violation]:
    """Every text selector whose quote differs from the source at its offsets."""
    violations = []
    for target in set(data.subjects(OA.hasSelector, None)):
        exact = start = end = None
        for selector in data.objects(target, OA.hasSelector):
            exact = data.value(selector, OA.exact, default=exact)
            start = data.value(selector, OA.start, default=start)
            end = data.value(selector, OA.end, default=end)
        if exact is None or start is None or end is None:
            continue
        begin, stop = int(start), int(end)
        found = source_text[begin:stop]
        if not 0 <= begin <= stop <= len(source_text):
            message = f"offsets {begin}..{stop} lie outside the source ({len(source_text)} chars)"
        elif found != str(exact):
            message = f"quote differs from the source at {begin}..{stop}: {found[:60]!r}"
        else:
            continue
        violations.append(Violation(_text(target) or "?", str(OA.exact), message))
    return sorted(violations, key=lambda v: v.focus)


def article_violations(
    ontology: rdflib.Graph, asserted: rdflib.Graph, shapes: rdflib.Graph, source_text: str
) -> list[Violation]:
    """Everything wrong with the article graph: SHACL results, mismatched quotes, then facts
    their cited sentences do not state."""
    return (
        shacl_violations(asserted, shapes, ontology)
        + quote_violations(asserted, source_text)
        + citation_violations(asserted + ontology)
    )


# ---- citations: every reified fact cites the sentence that states it ------------------------

PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
SUPPORT = rdflib.Namespace("https://ipkg.example.org/id/support/")
SKOS = rdflib.namespace.SKOS
RDF, RDFS, XSD = rdflib.RDF, rdflib.RDFS, rdflib.XSD

# Number words the article uses for the numbers of the facts.
NUMBER_WORDS = {
    Decimal(2): ("double",),
    Decimal(4): ("four",),
    Decimal(5): ("fifth",),
    Decimal(9): ("nine",),
    Decimal(100): ("a hundred",),
}
DATE_TYPES = (XSD.date, XSD.gYear, XSD.gYearMonth)
NUMBER_TYPES = (XSD.integer, XSD.decimal)
# Kinds of things whose English label is a name the article writes (the rest, such as
# statistics, posts and fields, carry descriptive labels of ours).
NAMED_CLASSES = (IPKG.Person, IPKG.Institution, IPKG.Place, IPKG.Plan, IPKG.MastersProgram)
# Names our labels write differently from the text: how the text writes them, and why.
TEXT_NAMES = {
    "https://ipkg.example.org/id/cnipa-personnel-department": (
        "Personnel Department at the CNIPA",
        "the label names the unit with 'of', the text places it 'at' the CNIPA",
    ),
    "https://ipkg.example.org/id/tsinghua-school-of-law": (
        "School of Law at Tsinghua University",
        "the label names the school, the text places it 'at' the university",
    ),
    "https://ipkg.example.org/id/guangdong-national-ip-training-base": (
        "national IP training base",
        "it has no proper name: the label adds where it is ('In Guangdong')",
    ),
    "https://ipkg.example.org/id/wipo-tongji-ip-masters-program": (
        "(WIPO) - Tongji IP Master's Program",
        "the label writes the acronym the text introduces for WIPO",
    ),
}


def flat(text: str) -> str:
    """Lower case, quotes dropped, spaces collapsed: how names are compared with the text."""
    text = re.sub(r"[\"'\u2018\u2019\u201c\u201d]", "", text.lower())
    return re.sub(r"\s+", " ", text)


def number_forms(value: Decimal) -> tuple[str, ...]:
    """How the article may write ``value``: with thousands commas, plain, or as a word."""
    forms = NUMBER_WORDS.get(value, ())
    if value == value.to_integral_value():
        return (f"{int(value):,}", str(int(value)), *forms)
    return (str(value), *forms)


def contains_number(text: str, value: Decimal) -> bool:
    """Whether ``text`` writes ``value`` as a whole number or number word."""
    return any(
        re.search(rf"(?<![\w,.]){re.escape(form)}(?![\w,]|\.\d)", text, re.IGNORECASE)
        for form in number_forms(value)
    )


def is_number(literal: rdflib.Literal) -> bool:
    """Whether a typed number literal is well formed (the shapes report one that is not)."""
    try:
        Decimal(str(literal))
    except ArithmeticError:
        return False
    return True


class Citations:
    """The reified facts of a graph with the texts of the sentences they cite."""

    def __init__(self, data: rdflib.Graph) -> None:
        self.data = data
        self.texts = {
            s: str(data.value(sel, OA.exact))
            for s in data.subjects(RDF.type, IPKG.Sentence)
            for sel in data.objects(s, OA.hasSelector)
            if data.value(sel, OA.exact) is not None
        }
        self.introduced: dict[rdflib.term.Node, set[rdflib.term.Node]] = {}
        for st in data.subjects(RDF.type, RDF.Statement):
            if data.value(st, RDF.predicate) == RDF.type:
                subject = data.value(st, RDF.subject)
                self.introduced.setdefault(subject, set()).update(
                    data.objects(st, PROV.wasDerivedFrom)
                )

    def is_a(self, node: rdflib.term.Node, classes: tuple) -> bool:
        types = set(self.data.objects(node, RDF.type))
        supers = {s for t in types for s in self.data.transitive_objects(t, RDFS.subClassOf)}
        return bool(supers & set(classes))

    def names(self, node: rdflib.term.Node) -> list[str]:
        """How the article may write the name of ``node``: a label, an acronym, or for a person
        the family name alone (Chinese order: the first word), as in "Zhang stated"."""
        found = [str(o) for p in (RDFS.label, SKOS.altLabel) for o in self.data.objects(node, p)]
        found = [n for n in found if n and not re.search(r"[\u4e00-\u9fff]", n)]
        if str(node) in TEXT_NAMES:
            found.append(TEXT_NAMES[str(node)][0])
        if self.is_a(node, (IPKG.Person,)):
            found += [n.split()[0] for n in found]
        return found

    def is_entity(self, node: rdflib.term.Node) -> bool:
        """A thing the article introduces (typed by a cited sentence), not a code-list concept
        (field, measure, role, unit: skos:inScheme) nor a class."""
        return (
            isinstance(node, rdflib.URIRef)
            and node in self.introduced
            and self.data.value(node, SKOS.inScheme) is None
        )

    def named(self, node: rdflib.term.Node, cited: set, text: str) -> bool:
        """Whether the cited sentences name ``node``: by one of its names, or by citing the
        sentence that introduces it (a back-reference: "the center", "this session")."""
        if cited & self.introduced.get(node, set()):
            return True
        if self.is_a(node, (IPKG.Period,)):
            written = [str(w) for w in self.data.objects(node, IPKG.asWritten)]
            written += [str(w).removesuffix(" period") for w in self.data.objects(node, RDFS.label)]
            return any(flat(w) in flat(text) for w in written)
        return self.is_a(node, NAMED_CLASSES) and any(
            flat(n) in flat(text) for n in self.names(node)
        )

    def word_problem(self, triple: tuple, text: str) -> str | None:
        """What the cited text lacks word for word for ``triple``: a number, a date's year,
        a name, or the number of the statistic the fact is about."""
        data = self.data
        s, p, o = triple
        if isinstance(o, rdflib.Literal) and o.datatype in NUMBER_TYPES and is_number(o):
            if not contains_number(text, Decimal(str(o))):
                return f"the number {o}"
        elif isinstance(o, rdflib.Literal) and o.datatype in DATE_TYPES:
            if str(o)[:4] not in text:
                return f"the year of {o}"
        elif p in (RDFS.label, SKOS.altLabel) and self.is_a(s, NAMED_CLASSES):
            written = TEXT_NAMES.get(str(s), (str(o),))[0]
            if flat(str(o)) not in flat(text) and flat(written) not in flat(text):
                return f"the name {o}"
        if self.is_a(s, (IPKG.Statistic,)) and p not in (RDF.type, RDFS.label):
            value = data.value(s, IPKG.value)
            if (
                value is not None
                and is_number(value)
                and not contains_number(text, Decimal(str(value)))
            ):
                return f"the statistic's number {value}"
        return None

    def problem(self, statement: rdflib.term.Node) -> str | None:
        """What is wrong with the citation of one reified fact, or None."""
        data = self.data
        triple = tuple(data.value(statement, x) for x in (RDF.subject, RDF.predicate, RDF.object))
        s, p, o = triple
        cited = set(data.objects(statement, PROV.wasDerivedFrom))
        text = " ".join(self.texts.get(c, "") for c in sorted(cited))
        if self.is_entity(s) and not self.named(s, cited, text):
            return f"no cited sentence names the subject {s} (cite the one that introduces it)"
        if p != RDF.type and self.is_entity(o) and not self.named(o, cited, text):
            return f"no cited sentence names the object {o} (cite the one that introduces it)"
        if data.value(statement, IPKG.support) != SUPPORT.stated:
            return None  # a reading or a derivation says in words how it rests on the text
        missing = self.word_problem(triple, text)
        return f"{missing} is not in the cited sentences" if missing else None


def citation_violations(data: rdflib.Graph) -> list[Violation]:
    """Every reified fact whose cited sentences do not state it: a stated fact's number, date
    or name missing from them, or a subject or object that no cited sentence names."""
    citations = Citations(data)
    violations = []
    for statement in data.subjects(RDF.type, RDF.Statement):
        found = citations.problem(statement)
        if found:
            s, p, o = (data.value(statement, x) for x in (RDF.subject, RDF.predicate, RDF.object))
            violations.append(Violation(f"{s} {p} {o.n3()}", str(PROV.wasDerivedFrom), found))
    return sorted(violations, key=lambda v: v.focus)
