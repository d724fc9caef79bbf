""" "Why is this true?" on the real article graph: each inferred triple traced to its OWL-RL
rule and to the asserted and ontology triples it came from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from ipkg.build.cache import InferenceCache
from ipkg.build.dataset import article_quads, store_of
from ipkg.build.sources import ArticleSources
from ipkg.linkeddata.describe import store_select
from ipkg.linkeddata.explanation import Explanation, explain
from ipkg.namespaces import Namespaces

NS = Namespaces()
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def store(inference_cache: InferenceCache) -> ox.Store:
    cache = inference_cache
    return store_of(article_quads(ArticleSources.embedded(), NS, cache=cache))


def why(store: ox.Store, s: str, p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> Explanation:
    return explain(store_select(store), NS, (ox.NamedNode(s), p, o), ("en",))


def rules(e: Explanation) -> set[str]:
    return {d.rule.name for d in e.derivations}


def term(name: str) -> ox.NamedNode:
    return ox.NamedNode(NS.ontology + name)


def person(name: str) -> str:
    return NS.instances + name


def test_subclass_rule_explains_an_inferred_superclass(store):
    e = why(
        store, person("zhang-zhicheng"), RDF_TYPE, ox.NamedNode("http://xmlns.com/foaf/0.1/Person")
    )
    assert e.inferred
    assert "cax-sco" in rules(e)
    derivation = next(d for d in e.derivations if d.rule.name == "cax-sco")
    roles = [p.role for p in derivation.premises]
    assert roles == ["asserted", "ontology"]
    assert derivation.premises[0].sentences, "the asserted premise quotes its sentence"


def test_inverse_rule_explains_held_by(store):
    holds = term("holdsPost")
    posts = [
        q.object
        for q in store.quads_for_pattern(ox.NamedNode(person("zhang-zhicheng")), holds, None)
    ]
    assert posts
    e = explain(
        store_select(store),
        NS,
        (posts[0], term("heldBy"), ox.NamedNode(person("zhang-zhicheng"))),
        ("en",),
    )
    assert "prp-inv" in rules(e)


def test_property_chain_explains_works_for_down_to_asserted_triples(store):
    e = why(store, person("zhang-zhicheng"), term("worksFor"), ox.NamedNode(person("cnipa")))
    assert "prp-spo2" in rules(e)
    chain = next(d for d in e.derivations if d.rule.name == "prp-spo2")
    assert any(p.role == "ontology" for p in chain.premises)

    def grounded(derivation) -> bool:
        return all(
            p.role in ("asserted", "ontology")
            or (p.role == "inferred" and any(grounded(d) for d in p.because))
            for p in derivation.premises
        )

    assert grounded(chain), "every inferred premise is explained in turn"


def test_subproperty_rule_explains_a_superproperty_triple(store):
    e = why(
        store,
        person("zhang-zhicheng"),
        ox.NamedNode("http://www.w3.org/ns/org#holds"),
        next(
            q.object
            for q in store.quads_for_pattern(
                ox.NamedNode(person("zhang-zhicheng")), term("holdsPost"), None
            )
        ),
    )
    assert "prp-spo1" in rules(e)


def test_domain_or_range_rule_explains_a_type_from_a_property(store):
    cnipa = ox.NamedNode(NS.instances + "cnipa")  # the range of postIn, the domain of hasPart
    inferred = ox.Quad(cnipa, RDF_TYPE, term("Institution"), ox.NamedNode(NS.graph("inferred")))
    assert inferred in store
    e = explain(store_select(store), NS, (cnipa, RDF_TYPE, term("Institution")), ("en",))
    assert rules(e) & {"prp-dom", "prp-rng"}


def test_transitive_rule_explains_a_part_of_chain(tmp_path):
    fixture = Path(__file__).resolve().parent.parent / "web" / "fixtures" / "mini-facts.ttl"
    sources = replace(ArticleSources.embedded(), facts=fixture)
    small = store_of(article_quads(sources, NS, cache=InferenceCache(tmp_path)))
    e = explain(
        store_select(small),
        NS,
        (
            ox.NamedNode(NS.instances + "cnipa-personnel-training-division"),
            term("partOf"),
            ox.NamedNode(NS.instances + "cnipa"),
        ),
        ("en",),
    )
    assert e.inferred
    assert "prp-trp" in rules(e)
    chain = next(d for d in e.derivations if d.rule.name == "prp-trp")
    assert [p.role for p in chain.premises] == ["asserted", "asserted", "ontology"]


def test_asserted_triple_needs_no_reasoning(store):
    e = why(store, person("zhang-zhicheng"), RDF_TYPE, term("Person"))
    assert e.exists and not e.inferred and not e.derivations


def test_absent_triple_is_reported_absent(store):
    e = why(store, person("zhang-zhicheng"), RDF_TYPE, term("University"))
    assert not e.exists


def test_an_inferred_alignment_is_told_from_an_inferred_new_fact(store):
    aligned = why(
        store, person("zhang-zhicheng"), RDF_TYPE, ox.NamedNode("http://xmlns.com/foaf/0.1/Person")
    )
    assert aligned.inferred and aligned.alignment and aligned.kind == "alignment"
    new = why(store, person("zhang-zhicheng"), term("worksFor"), ox.NamedNode(person("cnipa")))
    assert new.inferred and not new.alignment and new.kind == "new fact"


def test_a_stated_triple_read_from_context_says_its_reading(store):
    e = why(
        store,
        NS.instances + "hub/beijing",
        term("initialSuccessIn"),
        ox.NamedNode(NS.instances + "field/top-level-design"),
    )
    assert not e.inferred and e.support is not None and e.support.key == "read"
    assert {s.number for s in e.sentences} == {6, 7}
