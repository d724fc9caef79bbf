"""``reasonable`` (Rust, fast) over the whole graph, which ``--reasoner reasonable`` falls back
to when streaming cannot complete the rules (tests/build/test_materialisation.py tests the streamed
path), and the default owlrl give the same cleaned inferred graph on the article, and the
property chains reasonable lacks are applied on top of it."""

from __future__ import annotations

import pytest
import rdflib
from rdflib.namespace import XSD

from ipkg.build.loading import read_quads
from ipkg.build.reasoning import chained, inferred_by, property_chains, reasonable_closure
from ipkg.build.sources import ArticleSources
from ipkg.build.terms import rdflib_graph

EX = rdflib.Namespace("http://example.org/")


def article() -> tuple[rdflib.Graph, rdflib.Graph]:
    sources = ArticleSources.embedded()
    return rdflib_graph(read_quads(sources.ontology)), rdflib_graph(read_quads(sources.facts))


@pytest.mark.slow
def test_both_reasoners_give_the_same_cleaned_inferred_graph_on_the_article():
    ontology, asserted = article()
    slow = set(inferred_by("owlrl", ontology, asserted))
    fast = set(inferred_by("reasonable", ontology, asserted))
    assert len(slow) > 400
    assert fast == slow


def test_reasonables_plain_literals_come_back_plain_not_xsd_string():
    ontology, asserted = article()
    closure = reasonable_closure(ontology, asserted)
    assert not [
        t for t in closure if isinstance(t[2], rdflib.Literal) and t[2].datatype == XSD.string
    ]


def test_property_chains_compose_in_order():
    ontology = rdflib.Graph().parse(
        data=f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
        <{EX}worksFor> owl:propertyChainAxiom ( <{EX}holds> <{EX}postIn> ) .""",
        format="turtle",
    )
    facts = {
        (EX.ann, EX.holds, EX.post1),
        (EX.post1, EX.postIn, EX.office),
        (EX.office, EX.holds, EX.ann),
    }
    assert chained(facts, property_chains(ontology)) == {(EX.ann, EX.worksFor, EX.office)}
