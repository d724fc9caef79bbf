"""The facts file quotes the article exactly, gives every fact its sentence, links only checked
Wikidata ids and types every number."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from ipkg.build.sources import ArticleSources

SOURCES = ArticleSources.embedded()
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
ID = "https://ipkg.example.org/id/"
WIKIDATA = "http://www.wikidata.org/entity/"
TIME = rdflib.Namespace("http://www.w3.org/2006/time#")
PROVENANCE_CLASSES = (IPKG.Sentence, IPKG.Article, RDF.Statement, IPKG.Utterance)
# What a resource naming a source other than the article (dcterms:source: the plan outlines) may
# state without a sentence: the dates of the plan periods (docs/modelling.md).
SOURCED_ELSEWHERE = (
    TIME.hasBeginning,
    TIME.hasEnd,
    TIME.inXSDDate,
    DCTERMS.source,
    RDF.type,
    RDFS.label,
    RDFS.comment,
)
NUMBER_TYPES = (XSD.integer, XSD.decimal)


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    return rdflib.Graph().parse(SOURCES.facts)


@pytest.fixture(scope="module")
def text() -> str:
    return SOURCES.article.read_text(encoding="utf-8")


def checked_wikidata_ids() -> set[str]:
    lines = (
        (Path(__file__).resolve().parent.parent / "data" / "wikidata_ids.txt")
        .read_text()
        .splitlines()
    )
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def provenance_nodes(data: rdflib.Graph) -> set[rdflib.term.Node]:
    nodes = {s for c in PROVENANCE_CLASSES for s in data.subjects(RDF.type, c)}
    nodes |= set(data.objects(None, OA.hasSelector))
    return nodes


def fact_triples(data: rdflib.Graph) -> set[tuple]:
    """Asserted triples that must be reified: all but provenance and the exempt ones."""
    skip = provenance_nodes(data)
    sourced = set(data.subjects(DCTERMS.source, None)) - skip
    stated = set(reified(data))
    facts = set()
    for s, p, o in data:
        if s in skip or p == SKOS.exactMatch:
            continue
        if s in sourced and p in SOURCED_ELSEWHERE and (s, p, o) not in stated:
            continue
        if p == RDFS.label and isinstance(o, rdflib.Literal) and o.language == "zh":
            continue
        facts.add((s, p, o))
    return facts


def reified(data: rdflib.Graph) -> dict[tuple, list[rdflib.term.Node]]:
    found: dict[tuple, list[rdflib.term.Node]] = {}
    for st in data.subjects(RDF.type, RDF.Statement):
        triple = (
            data.value(st, RDF.subject),
            data.value(st, RDF.predicate),
            data.value(st, RDF.object),
        )
        found.setdefault(triple, []).extend(data.objects(st, PROV.wasDerivedFrom))
    return found


def test_every_quote_matches_the_article_at_its_offsets(data, text):
    sentences = list(data.subjects(RDF.type, IPKG.Sentence))
    assert len(sentences) == 29
    for sentence in sentences:
        selectors = list(data.objects(sentence, OA.hasSelector))
        exact = next(data.value(s, OA.exact) for s in selectors if data.value(s, OA.exact))
        start = next(
            data.value(s, OA.start) for s in selectors if data.value(s, OA.start) is not None
        )
        end = next(data.value(s, OA.end) for s in selectors if data.value(s, OA.end) is not None)
        assert text[int(start) : int(end)] == str(exact), sentence


def test_sentences_are_numbered_in_text_order_with_two_digit_iris(data):
    by_number = {
        int(data.value(s, IPKG.sentenceNumber)): s for s in data.subjects(RDF.type, IPKG.Sentence)
    }
    assert sorted(by_number) == list(range(1, 30))
    for number, sentence in by_number.items():
        assert str(sentence) == f"{ID}article/s{number:02d}"
    starts = [
        int(data.value(sel, OA.start))
        for _, sentence in sorted(by_number.items())
        for sel in data.objects(sentence, OA.hasSelector)
        if data.value(sel, OA.start) is not None
    ]
    assert starts == sorted(starts)


def test_offsets_are_typed_non_negative_integers(data):
    for prop in (OA.start, OA.end):
        for value in data.objects(None, prop):
            assert value.datatype == XSD.nonNegativeInteger


def test_every_fact_triple_has_one_statement_pointing_to_its_sentences(data):
    statements = reified(data)
    sentences = set(data.subjects(RDF.type, IPKG.Sentence))
    missing = [t for t in fact_triples(data) if t not in statements]
    assert not missing, missing[:5]
    for triple in fact_triples(data):
        sources = statements[triple]
        assert sources, triple
        assert len(sources) == len(set(sources)), triple
        assert set(sources) <= sentences, triple


def test_only_the_plan_period_dates_come_from_elsewhere_and_name_their_source(data):
    statements = reified(data)
    elsewhere = {
        (s, p, o)
        for s, p, o in data
        if (s, p, o) not in statements and p in (TIME.hasBeginning, TIME.hasEnd)
    }
    assert elsewhere
    for s, _, o in elsewhere:
        assert "Five-Year Plan" in str(data.value(s, DCTERMS.source)), s
        assert "Five-Year Plan" in str(data.value(o, DCTERMS.source)), o


def test_every_period_begins_and_ends_on_a_date(data):
    for period in data.subjects(RDF.type, IPKG.Period):
        for edge in (TIME.hasBeginning, TIME.hasEnd):
            date = data.value(data.value(period, edge), TIME.inXSDDate)
            assert date is not None and date.datatype == XSD.date, (period, edge)


def test_every_statement_reifies_an_asserted_triple(data):
    for triple in reified(data):
        assert triple in data, triple


def test_there_are_as_many_statements_as_facts(data):
    assert len(list(data.subjects(RDF.type, RDF.Statement))) == len(fact_triples(data))


def test_the_article_has_no_title_it_does_not_state(data):
    article = rdflib.URIRef(ID + "article")
    assert data.value(article, DCTERMS.title) is None
    assert str(data.value(article, DCTERMS.publisher)) == "China IP News"


def test_only_checked_wikidata_ids_are_linked(data):
    allowed = checked_wikidata_ids()
    linked = [str(o) for o in data.objects(None, SKOS.exactMatch)]
    assert linked
    for iri in linked:
        assert iri.startswith(WIKIDATA)
        assert iri[len(WIKIDATA) :] in allowed


def test_no_owl_same_as(data):
    assert not list(data.triples((None, OWL.sameAs, None)))


def test_numbers_are_typed(data):
    for prop in (IPKG.value, IPKG.lowerBound, IPKG.upperBound, IPKG.sessionNumber):
        for value in data.objects(None, prop):
            assert isinstance(value, rdflib.Literal)
            assert value.datatype in NUMBER_TYPES, (prop, value)


def test_every_resource_has_an_english_label(data):
    subjects = {s for s in data.subjects(RDF.type, None) if isinstance(s, rdflib.URIRef)}
    for subject in subjects:
        languages = {o.language for o in data.objects(subject, RDFS.label)}
        assert "en" in languages, subject


def test_instances_are_slash_iris_under_the_base(data):
    for subject in {s for s in data.subjects() if isinstance(s, rdflib.URIRef)}:
        assert str(subject).startswith(ID), subject
        assert "#" not in str(subject)


def test_the_article_numbers_are_all_there(data):
    values = sorted(int(float(v)) for v in data.objects(None, IPKG.value))
    assert values == [2, 2, 2, 9, 19, 48, 68, 100, 150, 700, 1200, 2000, 690000, 860000]


def _select(data: rdflib.Graph, query: str) -> list[tuple]:
    prefixes = (
        f"PREFIX ipkg: <{IPKG}> PREFIX id: <{ID}> PREFIX rdfs: <{RDFS}> "
        f"PREFIX status: <{ID}status/> PREFIX level: <{ID}level/> "
    )
    return [tuple(str(v) for v in row) for row in data.query(prefixes + query)]


def test_the_sole_national_level_training_institution_is_queryable(data):
    rows = _select(
        data,
        """SELECT ?x ?system WHERE { ?x a ipkg:TrainingCentre ; ipkg:level level:national ;
        ipkg:soleWithin ?s . ?s rdfs:label ?system }""",
    )
    assert rows == [(ID + "china-ip-training-center", "IP system")]
    assert not list(data.objects(rdflib.URIRef(ID + "china-ip-training-center"), RDFS.comment))


def test_the_guangdong_training_base_is_built(data):
    rows = _select(data, "SELECT ?x WHERE { ?x ipkg:status status:construction-completed }")
    assert rows == [(ID + "guangdong-national-ip-training-base",)]


def test_the_academicians_are_a_subset_of_the_experts(data):
    rows = _select(
        data,
        """SELECT ?part ?whole WHERE { ?a ipkg:subsetOf ?b .
        ?a ipkg:value ?part . ?b ipkg:value ?whole }""",
    )
    assert rows == [("9", "48")]
