"""OWL-RL derives what the ontology implies, and the clean-up drops what is not about the data."""

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from ipkg.reasoning import inferred_triples, is_noise

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
