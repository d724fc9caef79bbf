"""Every reified fact cites the sentence that states it: where the fact's object is a number, a
date or a name, a cited sentence contains it (numbers also as words, "nine", "a hundred",
"double"), and every fact about a statistic cites a sentence that gives the statistic's number.
What the text does not contain word for word is a reading, listed below with its reason."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import rdflib
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from ipkg.build.sources import ArticleSources

SOURCES = ArticleSources.embedded()
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
ID = rdflib.Namespace("https://ipkg.example.org/id/")

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

# Facts whose number, date or name the cited sentence does not contain word for word: each is a
# reading of the text, with its reason. Keyed by (subject, predicate, object) in prefixed form.
READINGS = {
    (
        "instant:2020-07-03",
        "time:inXSDDate",
        "2020-07-03",
    ): "'the past four years' counted back from the article's date (s01)",
    (
        "stat:expert-committee-ip-tasks",
        "ipkg:describes",
        "id:national-ip-expert-advisory-committee",
    ): "'committee members' since 2021: the committee named in s26, across its sessions",
    (
        "stat:expert-committee-person-times",
        "ipkg:describes",
        "id:national-ip-expert-advisory-committee",
    ): "'committee members' since 2021: the committee named in s26, across its sessions",
}
# Names our labels write differently from the text, with how the text writes them and why.
TEXT_NAMES = {
    "id:cnipa-personnel-department": (
        "Personnel Department at the CNIPA",
        "the label names the unit with 'of', the text places it 'at' the CNIPA",
    ),
    "id:tsinghua-school-of-law": (
        "School of Law at Tsinghua University",
        "the label names the school, the text places it 'at' the university",
    ),
    "id:guangdong-national-ip-training-base": (
        "national IP training base",
        "it has no proper name: the label adds where it is ('In Guangdong')",
    ),
    "id:wipo-tongji-ip-masters-program": (
        "(WIPO) - Tongji IP Master's Program",
        "the label writes the acronym the text introduces for WIPO",
    ),
}
PREFIXES = {
    "id:": str(ID),
    "stat:": str(ID) + "statistic/",
    "instant:": str(ID) + "instant/",
    "ipkg:": str(IPKG),
    "rdfs:": str(RDFS),
    "time:": "http://www.w3.org/2006/time#",
}


def short(term: rdflib.term.Node) -> str:
    if isinstance(term, rdflib.Literal):
        return str(term)
    for prefix, iri in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if str(term).startswith(iri):
            return prefix + str(term)[len(iri) :]
    return str(term)


def flat(text: str) -> str:
    """Lower case, quotes dropped, spaces collapsed: how names are compared with the text."""
    text = re.sub(r"[\"'\u2018\u2019\u201c\u201d]", "", text.lower())
    return re.sub(r"\s+", " ", text)


def number_forms(value: Decimal) -> tuple[str, ...]:
    forms = NUMBER_WORDS.get(value, ())
    if value == value.to_integral_value():
        return (f"{int(value):,}", str(int(value)), *forms)
    return (str(value), *forms)


def contains_number(text: str, value: Decimal) -> bool:
    return any(
        re.search(rf"(?<![\w,.]){re.escape(form)}(?![\w,]|\.\d)", text, re.IGNORECASE)
        for form in number_forms(value)
    )


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    graph = rdflib.Graph().parse(SOURCES.facts)
    graph += rdflib.Graph().parse(SOURCES.ontology)
    return graph


def sentence_text(data: rdflib.Graph, sentence: rdflib.term.Node) -> str:
    return next(
        str(data.value(sel, OA.exact))
        for sel in data.objects(sentence, OA.hasSelector)
        if data.value(sel, OA.exact) is not None
    )


def is_a(data: rdflib.Graph, node: rdflib.term.Node, classes: tuple) -> bool:
    types = set(data.objects(node, RDF.type))
    supers = {s for t in types for s in data.transitive_objects(t, RDFS.subClassOf)}
    return bool(supers & set(classes))


def names(data: rdflib.Graph, node: rdflib.term.Node) -> list[str]:
    """How the article may write the name of ``node``: a label, an acronym, or for a person
    the family name alone (Chinese order: the first word), as in "Zhang stated"."""
    found = [str(o) for p in (RDFS.label, SKOS.altLabel) for o in data.objects(node, p)]
    found = [n for n in found if n and not re.search(r"[\u4e00-\u9fff]", n)]
    if short(node) in TEXT_NAMES:
        found.append(TEXT_NAMES[short(node)][0])
    if is_a(data, node, (IPKG.Person,)):
        found += [n.split()[0] for n in found]
    return found


def problem(data: rdflib.Graph, triple: tuple, text: str) -> str | None:
    """What a cited text lacks for the fact ``triple``, or None."""
    s, p, o = triple
    if isinstance(o, rdflib.Literal) and o.datatype in NUMBER_TYPES:
        if not contains_number(text, Decimal(str(o))):
            return f"the number {o}"
    elif isinstance(o, rdflib.Literal) and o.datatype in DATE_TYPES:
        if str(o)[:4] not in text:
            return f"the year of {o}"
    elif p in (RDFS.label, SKOS.altLabel) and is_a(data, s, NAMED_CLASSES):
        written = TEXT_NAMES.get(short(s), (str(o),))[0]
        if flat(str(o)) not in flat(text) and flat(written) not in flat(text):
            return f"the name {o}"
    elif (
        isinstance(o, rdflib.URIRef)
        and p != RDF.type
        and is_a(data, o, NAMED_CLASSES)
        and not any(flat(n) in flat(text) for n in names(data, o))
    ):
        return f"a name of {short(o)}"
    if is_a(data, s, (IPKG.Statistic,)) and p not in (RDF.type, RDFS.label):
        value = data.value(s, IPKG.value)
        if not contains_number(text, Decimal(str(value))):
            return f"the statistic's number {value}"
    return None


def citation_problems(data: rdflib.Graph) -> dict[tuple[str, str, str], str]:
    found = {}
    for statement in data.subjects(RDF.type, RDF.Statement):
        triple = tuple(data.value(statement, x) for x in (RDF.subject, RDF.predicate, RDF.object))
        cited = list(data.objects(statement, PROV.wasDerivedFrom))
        text = " ".join(sentence_text(data, sentence) for sentence in cited)
        missing = problem(data, triple, text)
        if missing:
            key = tuple(short(t) for t in triple)
            found[key] = f"{missing} is not in {', '.join(short(c) for c in cited)}"
    return found


def test_every_number_date_and_name_of_a_fact_is_in_the_sentence_it_cites(data):
    found = citation_problems(data)
    unexplained = {k: v for k, v in found.items() if k not in READINGS}
    assert not unexplained, "\n".join(f"{k}: {v}" for k, v in sorted(unexplained.items()))


def test_every_listed_reading_is_still_needed(data):
    found = citation_problems(data)
    assert not [k for k in READINGS if k not in found]


def test_the_check_finds_a_fact_citing_the_neighbouring_sentence(data):
    wrong = rdflib.Graph()
    wrong += data
    for statement in list(data.subjects(RDF.subject, ID["statistic/beijing-ip-service-tasks"])):
        if data.value(statement, RDF.predicate) == IPKG.reportedBy:
            wrong.remove((statement, PROV.wasDerivedFrom, None))
            wrong.add((statement, PROV.wasDerivedFrom, ID["article/s08"]))
    found = citation_problems(wrong)
    key = ("stat:beijing-ip-service-tasks", "ipkg:reportedBy", "id:cai-xin")
    assert "68" in found[key]


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("including nine academicians", 9, True),
        ("with a hundred IP talents", 100, True),
        ("more than double the national average", 2, True),
        ("nearly 1,200 person-times", 1200, True),
        ("from 690,000 at the end", 690000, True),
        ("nearly 2,000 participants", 200, False),
        ("over 150 retraining sessions", 15, False),
    ],
)
def test_numbers_are_found_as_digits_or_words(text, value, expected):
    assert contains_number(text, Decimal(value)) is expected


def test_every_name_written_differently_is_still_needed(data):
    for node, (written, _reason) in TEXT_NAMES.items():
        iri = rdflib.URIRef(PREFIXES["id:"] + node.removeprefix("id:"))
        label = str(data.value(iri, RDFS.label))
        text = SOURCES.article.read_text(encoding="utf-8")
        assert flat(label) not in flat(text), node
        assert written in text, node
