"""OWL-RL derives what the ontology implies, and the clean-up drops what is not about the data."""

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from ipkg.build.reasoning import (
    BUILTIN_AXIOM,
    HELPER_TYPING,
    NOT_RDF,
    REFLEXIVE_TAUTOLOGY,
    SCHEMA_RESTATED,
    THING_TAUTOLOGY,
    Cleaning,
    inferred_triples,
    is_noise,
)

EX = rdflib.Namespace("http://example.org/")

ONTOLOGY = """
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:University rdfs:subClassOf ex:Institution .
ex:holds rdfs:range ex:Post ; rdfs:domain ex:Person .
ex:partOf owl:inverseOf ex:hasPart ; a owl:TransitiveProperty .
"""
FACTS = """
@prefix ex: <http://example.org/> .
ex:tsinghua a ex:University .
ex:zhou ex:holds ex:dean .
ex:law ex:partOf ex:tsinghua .
ex:clinic ex:partOf ex:law .
ex:tsinghua ex:name "Tsinghua" .
"""


def infer() -> rdflib.Graph:
    ontology = rdflib.Graph().parse(data=ONTOLOGY, format="turtle")
    facts = rdflib.Graph().parse(data=FACTS, format="turtle")
    return inferred_triples(ontology, facts)


def test_subclass_domain_range_inverse_and_transitivity_are_derived():
    inferred = infer()
    assert (EX.tsinghua, RDF.type, EX.Institution) in inferred
    assert (EX.zhou, RDF.type, EX.Person) in inferred
    assert (EX.dean, RDF.type, EX.Post) in inferred
    assert (EX.tsinghua, EX.hasPart, EX.law) in inferred
    assert (EX.clinic, EX.partOf, EX.tsinghua) in inferred


def test_inferred_graph_holds_no_input_triple_and_no_noise():
    inferred = infer()
    assert (EX.tsinghua, RDF.type, EX.University) not in inferred
    assert not [t for t in inferred if is_noise(t)]
    assert not [t for t in inferred if isinstance(t[0], rdflib.Literal)]
    assert not list(inferred.triples((None, OWL.sameAs, None)))


def test_noise_rules_match_what_owlrl_adds():
    literal = rdflib.Literal("Tsinghua")
    assert is_noise((literal, RDF.type, rdflib.RDFS.Literal))
    assert is_noise((EX.a, OWL.sameAs, EX.a))
    assert is_noise((EX.University, RDFS.subClassOf, EX.University))
    assert is_noise((OWL.Thing, RDF.type, OWL.Class))
    assert not is_noise((EX.a, OWL.sameAs, EX.b))


@pytest.mark.parametrize(
    ("triple", "reason"),
    [
        ((rdflib.Literal("x"), RDF.type, RDFS.Literal), NOT_RDF),
        ((EX.a, OWL.sameAs, EX.a), REFLEXIVE_TAUTOLOGY),
        ((EX.a, RDF.type, OWL.Thing), THING_TAUTOLOGY),
        ((EX.University, RDFS.subClassOf, OWL.Thing), THING_TAUTOLOGY),
        ((EX.holds, RDFS.domain, OWL.Thing), THING_TAUTOLOGY),
        ((OWL.Thing, RDF.type, OWL.Class), BUILTIN_AXIOM),
        ((EX.University, RDFS.subClassOf, EX.Organisation), SCHEMA_RESTATED),
        ((EX.holds, RDFS.range, EX.Post), SCHEMA_RESTATED),
        ((EX.University, RDF.type, OWL.Class), SCHEMA_RESTATED),
        ((EX.tsinghua, RDF.type, EX.Either), HELPER_TYPING),
        ((EX.tsinghua, RDF.type, EX.Institution), None),
        ((EX.zhou, EX.worksFor, EX.tsinghua), None),
        ((EX.tsinghua, RDFS.label, rdflib.Literal("Tsinghua")), None),
    ],
)
def test_the_cleaning_rule_gives_each_dropped_triple_its_reason(triple, reason):
    either = rdflib.Graph().parse(
        data="@prefix ex: <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> ."
        " ex:Either owl:unionOf ( ex:University ex:Person ) .",
        format="turtle",
    )
    assert Cleaning.of(either).reason(triple) == reason


def test_union_helper_classes_still_reason_but_are_not_served():
    ontology = rdflib.Graph().parse(
        data=ONTOLOGY
        + "ex:Either owl:unionOf ( ex:University ex:Person ) ; rdfs:subClassOf ex:Agent .",
        format="turtle",
    )
    inferred = inferred_triples(ontology, rdflib.Graph().parse(data=FACTS, format="turtle"))
    assert (EX.tsinghua, RDF.type, EX.Agent) in inferred
    assert (EX.tsinghua, RDF.type, EX.Either) not in inferred


# The article's ontology and facts: the inferences the article needs ---------------------------

IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
ID = rdflib.Namespace("https://ipkg.example.org/id/")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")


@pytest.fixture(scope="module")
def article_inferences() -> rdflib.Graph:
    from ipkg.build.sources import ArticleSources

    sources = ArticleSources.embedded()
    return inferred_triples(
        rdflib.Graph().parse(sources.ontology), rdflib.Graph().parse(sources.facts)
    )


def test_article_universities_are_institutions_and_organisations(article_inferences):
    inferred = article_inferences
    for university in (ID["tsinghua-university"], ID["tongji-university"]):
        assert (university, RDF.type, IPKG.Institution) in inferred
        assert (university, RDF.type, ORG.Organization) in inferred


def test_article_post_holders_are_persons_and_posts_are_posts(article_inferences):
    inferred = article_inferences
    assert (ID["zhang-zhicheng"], RDF.type, IPKG.Person) not in inferred  # asserted already
    post = ID["post/tsinghua-school-of-law-dean"]
    assert (post, IPKG.heldBy, ID["zhou-guangquan"]) in inferred
    assert (ID["zhou-guangquan"], ORG.holds, post) in inferred


def test_article_works_for_holds_through_sub_organisations(article_inferences):
    inferred = article_inferences
    assert (ID["zhang-zhicheng"], IPKG.worksFor, ID["cnipa-personnel-department"]) in inferred
    assert (ID["zhang-zhicheng"], IPKG.worksFor, ID.cnipa) in inferred
    assert (ID["zhou-guangquan"], IPKG.worksFor, ID["tsinghua-university"]) in inferred
    assert (ID["zhou-guangquan"], ORG.memberOf, ID["tsinghua-university"]) in inferred
    assert (ID["cai-xin"], IPKG.worksFor, ID.cnipa) not in inferred


def test_article_inverse_links_are_derived(article_inferences):
    inferred = article_inferences
    assert (ID.cnipa, IPKG.hasPart, ID["cnipa-personnel-department"]) in inferred
    assert (ID["tongji-university"], IPKG.hosts, ID["wipo-tongji-ip-masters-program"]) in inferred
    assert (ID.wipo, IPKG.partnerIn, ID["wipo-tongji-ip-masters-program"]) in inferred
    assert (ID["hub/shanghai"], IPKG.hubIncludes, ID["tongji-university"]) in inferred


def test_the_holder_of_a_post_is_inferred_a_person_and_the_post_a_post():
    from ipkg.build.sources import ArticleSources

    ontology = rdflib.Graph().parse(ArticleSources.embedded().ontology)
    facts = rdflib.Graph().parse(
        data="<urn:x> <https://ipkg.example.org/ontology#holdsPost> <urn:post> .",
        format="turtle",
    )
    inferred = inferred_triples(ontology, facts)
    assert (rdflib.URIRef("urn:x"), RDF.type, IPKG.Person) in inferred
    assert (rdflib.URIRef("urn:post"), RDF.type, IPKG.Post) in inferred
    assert (rdflib.URIRef("urn:post"), IPKG.heldBy, rdflib.URIRef("urn:x")) in inferred


def test_the_article_inferences_hold_no_tautology_schema_or_helper_typing(article_inferences):
    from ipkg.build.sources import ArticleSources

    ontology = rdflib.Graph().parse(ArticleSources.embedded().ontology)
    helpers = set(ontology.subjects(OWL.unionOf, None))
    assert IPKG.Observed in helpers
    assert not list(article_inferences.triples((None, None, OWL.Thing)))
    assert not [s for s in article_inferences.subjects() if str(s).startswith(str(IPKG))]
    assert not [t for t in article_inferences if t[1] == RDF.type and t[2] in helpers]
    assert (ID["hub/beijing"], RDF.type, IPKG.Observed) not in article_inferences
    assert (ID["hub/beijing"], RDF.type, rdflib.URIRef("http://www.w3.org/ns/prov#Entity")) in (
        article_inferences
    )
