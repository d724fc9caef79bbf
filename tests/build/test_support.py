"""Three kinds of support on every fact (stated, read from context, derived), the article's
periods as it says them, the context readings of the hubs, the successes and the statuses, and
who said what: each checked against the data file and the article's text."""

from __future__ import annotations

import re

import pytest
import rdflib
from rdflib.namespace import RDF

from ipkg.build.sources import ArticleSources
from ipkg.build.validation import shacl_violations

SOURCES = ArticleSources.embedded()
IPKG = "https://ipkg.example.org/ontology#"
ID = "https://ipkg.example.org/id/"
PREFIXES = f"""PREFIX ipkg: <{IPKG}> PREFIX id: <{ID}> PREFIX support: <{ID}support/>
PREFIX rule: <{ID}rule/> PREFIX bound: <{ID}bound/> PREFIX speech: <{ID}speech/>
PREFIX period: <{ID}period/> PREFIX hub: <{ID}hub/> PREFIX status: <{ID}status/>
PREFIX instant: <{ID}instant/> PREFIX sentence: <{ID}article/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX time: <http://www.w3.org/2006/time#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    return rdflib.Graph().parse(SOURCES.facts)


def rows(data: rdflib.Graph, query: str) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) for v in row) for row in data.query(PREFIXES + query))


def sentence(data: rdflib.Graph, number: int) -> str:
    (found,) = rows(
        data,
        f"""SELECT ?exact WHERE {{ ?s ipkg:sentenceNumber {number} ; oa:hasSelector ?sel .
        ?sel oa:exact ?exact }}""",
    )
    return found[0]


def test_every_statement_has_exactly_one_kind_of_support(data):
    kinds = rows(
        data,
        """SELECT ?st (COUNT(?k) AS ?n) WHERE { ?st a rdf:Statement .
        OPTIONAL { ?st ipkg:support ?k } } GROUP BY ?st HAVING (COUNT(?k) != 1)""",
    )
    assert kinds == []
    used = {k for (k,) in rows(data, "SELECT DISTINCT ?k WHERE { ?st ipkg:support ?k }")}
    assert used == {ID + "support/stated", ID + "support/read", ID + "support/derived"}


def test_a_reading_without_its_words_or_a_derivation_without_its_rule_breaks_the_shapes(data):
    shapes = rdflib.Graph().parse(SOURCES.shapes)
    ontology = rdflib.Graph().parse(SOURCES.ontology)
    wrong = rdflib.Graph()
    wrong += data
    reading = next(wrong.subjects(rdflib.URIRef(IPKG + "reading"), None))
    wrong.remove((reading, rdflib.URIRef(IPKG + "reading"), None))
    rule = next(wrong.subjects(rdflib.URIRef(IPKG + "rule"), None))
    wrong.remove((rule, rdflib.URIRef(IPKG + "rule"), None))
    focuses = {v.focus for v in shacl_violations(wrong, shapes, ontology)}
    assert {reading.n3(), rule.n3()} <= focuses


def test_every_date_computed_from_the_article_date_is_marked_derived_with_its_rule(data):
    """The past four years, the ends of "since" and "during", and the dates "this year"."""
    derived = rows(
        data,
        """SELECT ?s ?p ?rule WHERE { ?st rdf:subject ?s ; rdf:predicate ?p ;
        ipkg:support support:derived ; ipkg:rule ?rule ; ipkg:input ?in }""",
    )
    found = {(s.rsplit("/", 1)[-1], p.rsplit("#", 1)[-1]) for s, p, _ in derived}
    assert {
        ("2020-07-03", "inXSDDate"),
        ("past-four-years", "hasBeginning"),
        ("past-four-years", "hasEnd"),
        ("14th-five-year-plan-so-far", "hasEnd"),
        ("14th-five-year-plan-during", "hasEnd"),
        ("14th-five-year-plan-so-far", "hasBeginning"),
        ("tsinghua-wipo-ip-innovation-policy-masters-program", "firstIntake"),
        ("tsinghua-wipo-ip-innovation-policy-masters-program", "recruitmentStarts"),
        ("national-ip-expert-advisory-committee-session-5", "date"),
    } <= found
    # the article's own date is stated, not derived
    stated = rows(
        data,
        """SELECT ?o WHERE { ?st rdf:subject instant:2024-07-03 ; rdf:predicate time:inXSDDate ;
        rdf:object ?o ; ipkg:support support:stated }""",
    )
    assert stated == [("2024-07-03",)]


def test_during_since_and_the_past_four_years_are_apart_each_as_written(data):
    periods = dict(
        rows(
            data,
            """SELECT ?written ?stat WHERE { ?x ipkg:refPeriod ?p . ?p ipkg:asWritten ?written .
            ?x rdfs:label ?stat }""",
        )
    )
    text = SOURCES.article.read_text(encoding="utf-8")
    flat = text.replace("'", '"')
    for written in periods:
        assert written.lower() in flat.lower(), written
    by_period = rows(
        data,
        "SELECT DISTINCT ?p WHERE { ?x ipkg:refPeriod ?p . ?p ipkg:asWritten ?w }",
    )
    names = {p.rsplit("/", 1)[-1] for (p,) in by_period}
    assert {"14th-five-year-plan-during", "14th-five-year-plan-so-far", "past-four-years"} <= names
    during = rows(data, "SELECT ?x WHERE { ?x ipkg:refPeriod period:14th-five-year-plan-during }")
    assert during == [(ID + "statistic/beijing-advanced-ip-titles",)]
    assert 'during the "14th Five-Year Plan"' in sentence(data, 8)


def test_each_relative_period_says_whether_its_ends_are_dated_open_or_bounds(data):
    kinds = rows(
        data,
        """SELECT ?p ?b ?e WHERE { ?p ipkg:asWritten ?w .
        OPTIONAL { ?p ipkg:beginningKind ?b } OPTIONAL { ?p ipkg:endKind ?e } }""",
    )
    got = {
        p.rsplit("/", 1)[-1]: (b.rsplit("/", 1)[-1], e.rsplit("/", 1)[-1])
        for p, b, e in kinds
        if b != "None"
    }
    assert got == {
        "14th-five-year-plan-so-far": ("dated", "open"),
        "14th-five-year-plan-during": ("dated", "at-most"),
        "past-four-years": ("approximate", "at-most"),
    }


# ---- the three context readings -------------------------------------------------------------


def test_guangdong_is_the_place_the_article_states_and_the_hub_is_a_marked_reading(data):
    text = sentence(data, 11)
    assert text.startswith("In Guangdong") and "Greater Bay Area" not in text
    places = rows(
        data,
        """SELECT ?x WHERE { ?st rdf:subject ?x ; rdf:predicate ipkg:locatedIn ;
        rdf:object id:guangdong ; ipkg:support support:stated ;
        prov:wasDerivedFrom sentence:s11 }""",
    )
    assert len(places) == 3
    hub = rows(
        data,
        """SELECT ?x ?kind ?reading WHERE { ?st rdf:subject ?x ;
        rdf:predicate ipkg:belongsToHub ; rdf:object hub:greater-bay-area ; ipkg:support ?kind .
        OPTIONAL { ?st ipkg:reading ?reading } }""",
    )
    assert [x for x, *_ in hub] == [x for (x,) in places]
    assert all(kind == ID + "support/read" and "In Guangdong" in r for _, kind, r in hub)


def test_every_hub_membership_is_marked_as_read_from_the_heading_on_hubs(data):
    kinds = rows(
        data,
        """SELECT DISTINCT ?kind WHERE { ?st rdf:predicate ipkg:belongsToHub ; ipkg:support ?kind ;
        prov:wasDerivedFrom sentence:s04 , sentence:s06 }""",
    )
    assert kinds == [(ID + "support/read",)]
    assert "talent hub" in sentence(data, 4)


def test_the_initial_successes_are_a_reading_of_s07_after_s06(data):
    text = sentence(data, 7)
    assert not re.search(r"Beijing|Shanghai|Guangdong|Greater Bay", text)
    successes = rows(
        data,
        """SELECT ?hub ?kind WHERE { ?st rdf:subject ?hub ; rdf:predicate ipkg:initialSuccessIn ;
        ipkg:support ?kind ; prov:wasDerivedFrom sentence:s07 , sentence:s06 }""",
    )
    assert len(successes) == 12
    assert {kind for _, kind in successes} == {ID + "support/read"}


def test_a_status_is_stated_only_where_the_tense_says_it_is_going_on(data):
    """'running' or 'being built' stated only from a progressive or 'ongoing'; a perfect tense
    alone ('has ... carried out over 150 retraining sessions') gives no status."""
    stated = rows(
        data,
        """SELECT ?x ?exact WHERE { ?st rdf:subject ?x ; rdf:predicate ipkg:status ;
        rdf:object ?status ; ipkg:support support:stated ; prov:wasDerivedFrom ?s .
        VALUES ?status { status:running status:being-built }
        ?s oa:hasSelector ?sel . ?sel oa:exact ?exact }""",
    )
    assert stated
    for x, text in stated:
        assert re.search(r"\bongoing\b|\b(being|been|is|are) \w+ing\b|currently", text), x
    for quiet in ("local-ip-administrative-personnel-retraining", "urgent-talent-needs-training"):
        assert rows(data, f"SELECT ?s WHERE {{ id:{quiet} ipkg:status ?s }}") == []
    read = rows(
        data,
        """SELECT ?x WHERE { ?st rdf:subject ?x ; rdf:predicate ipkg:status ;
        ipkg:support support:read ; ipkg:reading ?r }""",
    )
    assert len(read) == 4


# ---- who said what --------------------------------------------------------------------------

SAYS = re.compile(r"\b(stated|explained|introduced|shared that|reported that)\b")


def test_every_sentence_with_a_speech_verb_is_in_an_utterance_of_the_person_it_names(data):
    said = rows(
        data,
        """SELECT ?n ?kind ?name WHERE { ?u a ipkg:Utterance ; ipkg:inSentence ?s ;
        ipkg:speechKind ?kind ; ipkg:speaker ?who . ?s ipkg:sentenceNumber ?n .
        ?who rdfs:label ?name }""",
    )
    by_sentence = {int(n): (kind.rsplit("/", 1)[-1], name) for n, kind, name in said}
    for number in range(1, 30):
        text = sentence(data, number)
        if SAYS.search(text):
            kind, name = by_sentence[number]
            family = name.split()[0]
            assert family in text, (number, name)
            quoted = text.startswith('"') or re.search(r'[,.]" ', text) is not None
            assert (kind == "direct") == quoted, number


def test_zhou_guangquan_is_quoted_directly_about_the_tsinghua_programmes(data):
    found = rows(
        data,
        """SELECT ?n ?about WHERE { ?u ipkg:speaker id:zhou-guangquan ;
        ipkg:speechKind speech:direct ; ipkg:inSentence ?s ; ipkg:about ?about .
        ?s ipkg:sentenceNumber ?n }""",
    )
    assert {int(n) for n, _ in found} == {20, 21, 22}
    assert ID + "tsinghua-wipo-ip-innovation-policy-masters-program" in {a for _, a in found}
    assert sentence(data, 20).startswith('"') and "introduced Zhou Guangquan" in sentence(data, 22)


def test_every_utterance_is_about_what_its_sentences_state(data):
    about = rows(
        data,
        """SELECT ?u ?x WHERE { ?u a ipkg:Utterance ; ipkg:about ?x .
        FILTER NOT EXISTS { ?u ipkg:inSentence ?s . ?st prov:wasDerivedFrom ?s .
        { ?st rdf:subject ?x } UNION { ?st rdf:object ?x } } }""",
    )
    assert about == []
    assert rows(data, "SELECT ?u WHERE { ?u a ipkg:Utterance }").__len__() == 6
    assert not list(data.triples((None, RDF.type, rdflib.URIRef(IPKG + "Quote"))))
