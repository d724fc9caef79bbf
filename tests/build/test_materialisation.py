"""Streamed materialisation (what ``--reasoner reasonable`` runs) derives exactly what a
whole-graph OWL-RL reasoner derives: on the article, on a synthetic graph with part-of
hierarchies and posts, and on small graphs that exercise each rule it completes itself; inputs
it cannot complete are handed to the whole-graph reasoner instead."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest
from generate import write as write_synthetic  # bench/generate.py, on pytest's pythonpath

from ipkg.build.loading import read_quads
from ipkg.build.materialisation import (
    TYPE,
    NotStreamable,
    fast_inferred,
    materialised,
    schema_of,
    stated_schema,
)
from ipkg.build.reasoning import inferred_by, reasonable_closure
from ipkg.build.sources import ArticleSources
from ipkg.build.terms import rdflib_graph, to_oxigraph

ROOT = Path(__file__).resolve().parent.parent.parent

PREFIXES = """@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
"""
ORG_ONTOLOGY = (
    PREFIXES
    + """
ex:partOf a owl:ObjectProperty , owl:TransitiveProperty ; owl:inverseOf ex:hasPart ;
    rdfs:domain ex:Unit ; rdfs:range ex:Unit .
ex:hasPart a owl:ObjectProperty .
ex:holds rdfs:domain ex:Person ; rdfs:range ex:Post .
ex:postIn rdfs:range ex:Unit .
ex:worksFor rdfs:subPropertyOf ex:memberOf ; rdfs:range ex:Unit ;
    owl:propertyChainAxiom ( ex:holds ex:postIn ) , ( ex:worksFor ex:partOf ) .
ex:Unit rdfs:subClassOf ex:Organisation .
ex:Person rdfs:subClassOf ex:Agent .
"""
)


def triples(turtle: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)]


def whole_graph(reasoner: str, ontology: list[ox.Triple], asserted: list[ox.Triple]) -> set:
    """The oracle: the reasoner run over the whole union, as the service did before."""
    derived = inferred_by(reasoner, rdflib_graph(ontology), rdflib_graph(asserted))
    return {ox.Triple(*map(to_oxigraph, t)) for t in derived}


def streamed_as_owlrl(ontology_turtle: str, data_turtle: str) -> set[ox.Triple]:
    """The streamed inferences, after checking that whole-graph owlrl derives the same."""
    ontology, asserted = triples(ontology_turtle), triples(PREFIXES + data_turtle)
    streamed = set(fast_inferred(ontology, asserted))
    assert streamed == whole_graph("owlrl", ontology, asserted)
    return streamed


def ex(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"http://example.org/{name}")


def test_streamed_inferences_equal_owlrl_on_the_article():
    sources = ArticleSources.embedded()
    ontology = [q.triple for q in read_quads(sources.ontology)]
    asserted = [q.triple for q in read_quads(sources.facts)]
    streamed = fast_inferred(ontology, asserted)
    assert len(streamed) == len(set(streamed)) > 400
    assert set(streamed) == whole_graph("owlrl", ontology, asserted)


@pytest.mark.slow  # materialisation at size
def test_streamed_inferences_equal_owlrl_on_a_synthetic_graph_of_posts_and_hierarchies():
    out = io.StringIO()
    write_synthetic(3000, 11, out)
    asserted = [q.triple for q in ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES)]
    ontology = [q.triple for q in read_quads(ArticleSources.embedded().ontology)]
    streamed = set(fast_inferred(ontology, asserted))
    worked = [t for t in streamed if t.predicate.value.endswith("ontology#worksFor")]
    assert worked, "the synthetic graph should exercise the property chains"
    assert streamed == whole_graph("owlrl", ontology, asserted)


def test_chains_and_transitivity_reach_their_fixpoint_across_the_stream():
    streamed = streamed_as_owlrl(
        ORG_ONTOLOGY,
        """ex:ann ex:holds ex:post .
        ex:post ex:postIn ex:lab .
        ex:lab ex:partOf ex:school .
        ex:school ex:partOf ex:faculty .
        ex:faculty ex:partOf ex:university .""",
    )
    for unit in ("lab", "school", "faculty", "university"):
        assert ox.Triple(ex("ann"), ex("worksFor"), ex(unit)) in streamed
        assert ox.Triple(ex("ann"), ex("memberOf"), ex(unit)) in streamed


def test_schema_stated_in_the_data_is_reasoned_with_the_ontology():
    streamed = streamed_as_owlrl(
        ORG_ONTOLOGY,
        """ex:Lab rdfs:subClassOf ex:Unit .
        ex:leads rdfs:subPropertyOf ex:worksFor .
        ex:Either owl:unionOf ( ex:Lab ex:Person ) ; rdfs:subClassOf ex:Tagged .
        ex:x a ex:Lab .
        ex:bob ex:leads ex:x .""",
    )
    assert ox.Triple(ex("x"), TYPE, ex("Organisation")) in streamed
    assert ox.Triple(ex("x"), TYPE, ex("Tagged")) in streamed  # through the union
    assert ox.Triple(ex("x"), TYPE, ex("Either")) not in streamed  # a helper class: not served
    assert ox.Triple(ex("bob"), ex("memberOf"), ex("x")) in streamed


def test_facts_about_data_are_not_taken_for_schema():
    facts = [q.triple for q in read_quads(ArticleSources.embedded().facts)]
    statements = [t for t in facts if t.object.value.endswith("rdf-syntax-ns#Statement")]
    assert len(statements) > 400
    assert not set(stated_schema(facts)) & set(statements)


@pytest.mark.parametrize(
    ("ontology_extra", "data", "named"),
    [
        (
            "ex:Boss owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:holds ; "
            "owl:someValuesFrom ex:Post ] .",
            "ex:ann ex:holds ex:post .",
            "someValuesFrom",
        ),
        (
            "ex:postIn a owl:FunctionalProperty .",
            "ex:post ex:postIn ex:lab , ex:laboratory . ex:lab ex:partOf ex:school .",
            "functional",
        ),
        ("", "ex:lab owl:sameAs ex:laboratory . ex:lab ex:partOf ex:school .", "sameAs"),
    ],
)
def test_inputs_streaming_cannot_complete_go_to_the_whole_graph_reasoner(
    ontology_extra: str, data: str, named: str
):
    ontology = triples(ORG_ONTOLOGY + ontology_extra)
    asserted = triples(PREFIXES + data)
    with pytest.raises(NotStreamable, match=named):
        materialised(schema_of(ontology, asserted), ontology, asserted, reasonable_closure)
    assert set(fast_inferred(ontology, asserted)) == whole_graph("reasonable", ontology, asserted)
