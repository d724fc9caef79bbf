"""Every reified fact cites the sentences that state it (``ipkg.build.validation``): a stated
fact's number, date or name is in a cited sentence (numbers also as words, "nine", "a hundred",
"double"); every fact about a statistic cites a sentence with the statistic's number; and the
subject and object of every fact, of every kind (hubs and committee sessions included), are
named by a cited sentence, so a sentence that refers back ("the center", "this session",
"committee members") is cited with the one that names what it refers to."""

from __future__ import annotations

from decimal import Decimal

import pytest
import rdflib
from rdflib.namespace import RDF, RDFS

from ipkg.build.sources import ArticleSources
from ipkg.build.validation import TEXT_NAMES, citation_violations, contains_number, flat

SOURCES = ArticleSources.embedded()
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
ID = rdflib.Namespace("https://ipkg.example.org/id/")
SUPPORT = rdflib.Namespace(ID + "support/")
TIME = rdflib.Namespace("http://www.w3.org/2006/time#")


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    graph = rdflib.Graph().parse(SOURCES.facts)
    graph += rdflib.Graph().parse(SOURCES.ontology)
    return graph


def statements(data: rdflib.Graph, s, p, o=None) -> list[rdflib.term.Node]:
    return [
        st
        for st in data.subjects(RDF.subject, s)
        if data.value(st, RDF.predicate) == p and (o is None or data.value(st, RDF.object) == o)
    ]


def cite_only(data: rdflib.Graph, statement, *sentences: str) -> rdflib.Graph:
    """A copy of ``data`` where ``statement`` cites only ``sentences``."""
    wrong = rdflib.Graph()
    wrong += data
    wrong.remove((statement, PROV.wasDerivedFrom, None))
    for sentence in sentences:
        wrong.add((statement, PROV.wasDerivedFrom, ID["article/" + sentence]))
    return wrong


def found(violations, *words: str) -> list[str]:
    return [str(v) for v in violations if all(w in str(v) for w in words)]


def test_every_fact_cites_the_sentences_that_state_it_and_name_its_subject(data):
    violations = citation_violations(data)
    assert not violations, "\n".join(str(v) for v in violations)


def test_the_check_finds_a_fact_citing_the_neighbouring_sentence(data):
    (st,) = statements(data, ID["statistic/beijing-ip-service-tasks"], IPKG.reportedBy)
    violations = citation_violations(cite_only(data, st, "s08"))
    assert found(violations, "beijing-ip-service-tasks", "reportedBy")


@pytest.mark.parametrize(
    ("subject", "predicate", "obj", "alone", "named_in"),
    [
        # s05: "focuses on ... high-level IP talent hubs"; s06 names them
        ("14th-five-year-plan-for-ip-talent", IPKG.focusesOn, "hub/beijing", "s05", "s06"),
        # s27: "These experts ..."; s26 names the fifth session
        ("national-ip-expert-advisory-committee-session-5", IPKG.field, None, "s27", "s26"),
        # s28: "This session of the expert committee ..."
        (
            "national-ip-expert-advisory-committee-session-5",
            IPKG.recommendationTopic,
            None,
            "s28",
            "s26",
        ),
        # s07: "Initial successes have been achieved ..." names no hub
        ("hub/shanghai", IPKG.initialSuccessIn, None, "s07", "s06"),
    ],
)
def test_a_back_reference_without_the_sentence_naming_its_subject_is_refused(
    data, subject, predicate, obj, alone, named_in
):
    st = statements(data, ID[subject], predicate, ID[obj] if obj else None)[0]
    assert (st, PROV.wasDerivedFrom, ID["article/" + named_in]) in data
    violations = citation_violations(cite_only(data, st, alone))
    assert found(violations, subject, "no cited sentence names")


def test_a_computed_date_marked_as_stated_is_refused(data):
    (st,) = statements(data, ID["instant/2020-07-03"], rdflib.URIRef(str(TIME) + "inXSDDate"))
    assert data.value(st, IPKG.support) == SUPPORT.derived
    wrong = rdflib.Graph()
    wrong += data
    wrong.set((st, IPKG.support, SUPPORT.stated))
    assert found(citation_violations(wrong), "2020-07-03", "the year of")


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
    text = SOURCES.article.read_text(encoding="utf-8")
    for node, (written, _reason) in TEXT_NAMES.items():
        label = str(data.value(rdflib.URIRef(node), RDFS.label))
        assert flat(label) not in flat(text), node
        assert written in text, node
