"""The inferred graph split into new facts (said in ipkg's own terms) and alignments (a fact
restated in another vocabulary): the two views are a partition of the inferred graph, each
triple in the one its predicate (or, for a typing, its class) says."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ipkg.build.dataset import article_quads
from ipkg.build.sources import ArticleSources
from ipkg.linkeddata.dumps import selected
from ipkg.linkeddata.inference_kinds import ALIGNMENT, NEW, kind_of
from ipkg.namespaces import RDF_TYPE, Namespaces

NS = Namespaces()


@pytest.fixture(scope="module")
def quads(inference_cache) -> list[ox.Quad]:
    return article_quads(ArticleSources.embedded(), NS, cache=inference_cache)


def test_new_facts_and_alignments_partition_the_inferred_graph(quads):
    inferred = {q.triple for q in selected(quads, "inferred", NS)}
    new = {q.triple for q in selected(quads, "inferred-new", NS)}
    aligned = {q.triple for q in selected(quads, "inferred-alignments", NS)}
    assert new and aligned and not new & aligned
    assert new | aligned == inferred
    assert all(
        t.predicate.value.startswith(NS.ontology) or t.predicate.value == RDF_TYPE for t in new
    )
    assert all(t.object.value.startswith(NS.ontology) for t in new if t.predicate.value == RDF_TYPE)


def test_the_kinds_of_known_inferences(quads):
    assert kind_of(NS.ontology + "worksFor", NS.instances + "cnipa", NS) == NEW
    assert kind_of(NS.ontology + "hubIncludes", NS.instances + "tongji-university", NS) == NEW
    assert kind_of(RDF_TYPE, NS.ontology + "Institution", NS) == NEW
    assert kind_of(RDF_TYPE, "http://www.w3.org/ns/prov#Entity", NS) == ALIGNMENT
    assert kind_of("http://www.w3.org/ns/org#memberOf", NS.instances + "cnipa", NS) == ALIGNMENT
