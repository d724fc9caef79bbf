"""The RDF 1.2 view of provenance (``/export/provenance-rdf12``): each fact carries its support
as an annotation on its reifier, made from the same asserted graph, and pyoxigraph (which reads
and queries RDF 1.2) gives the same answers from it as the reified form gives: every saved
provenance query has a join-first RDF 1.2 twin in queries/rdf12/ with the same rows."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ipkg.build.dataset import article_quads, store_of
from ipkg.build.sources import ArticleSources
from ipkg.linkeddata.dumps import BY_KEY, VIEWS, dump, read_back, selected
from ipkg.namespaces import Namespaces
from ipkg.queries.binding import substitutions
from ipkg.queries.saved import read_catalogue, read_saved_query
from ipkg.sparql.execution import QueryRequest, run_query

SOURCES = ArticleSources.embedded()
NS = Namespaces()
ID = "https://ipkg.example.org/id/"
IPKG = "https://ipkg.example.org/ontology#"
CATALOGUE = read_catalogue(SOURCES.queries, strict=True)
TWINS = sorted((SOURCES.queries / "rdf12").glob("*.rq"))


@pytest.fixture(scope="module")
def quads(inference_cache) -> list[ox.Quad]:
    return article_quads(SOURCES, NS, cache=inference_cache)


@pytest.fixture(scope="module")
def reified(quads) -> ox.Store:
    return store_of(quads)


@pytest.fixture(scope="module", params=["turtle", "ntriples"])
def annotated(request, quads) -> ox.Store:
    """The view written as a dump and read back, with the ontology (the labels of the code
    lists): what a client of /export/ gets from provenance-rdf12 and ontology."""
    body = dump(selected(quads, "provenance-rdf12", NS), BY_KEY[request.param], NS)
    store = ox.Store()
    store.extend(read_back(body, BY_KEY[request.param]))
    store.extend(ox.Quad(*q.triple, ox.DefaultGraph()) for q in selected(quads, "ontology", NS))
    return store


def rows(store: ox.Store, text: str, bound: dict) -> list[tuple]:
    result = run_query(store, QueryRequest(text, "json", substitutions=bound))
    names = [v.value for v in result.variables]
    return sorted(tuple(str(s[n]) if s[n] is not None else "" for n in names) for s in result)


def test_the_view_has_one_reifier_per_statement_and_no_reification_vocabulary(quads, annotated):
    statements = sum(
        1
        for q in selected(quads, "asserted", NS)
        if q.predicate.value.endswith("#type") and q.object.value.endswith("#Statement")
    )
    reifies = list(annotated.quads_for_pattern(None, ox.NamedNode(ox_rdf("reifies")), None))
    assert len(reifies) == statements > 400
    assert all(isinstance(q.object, ox.Triple) for q in reifies)
    assert not list(annotated.quads_for_pattern(None, ox.NamedNode(ox_rdf("subject")), None))
    # every annotated fact is itself asserted in the view
    assert all(ox.Quad(*q.object, ox.DefaultGraph()) in annotated for q in reifies)


def ox_rdf(name: str) -> str:
    return "http://www.w3.org/1999/02/22-rdf-syntax-ns#" + name


@pytest.mark.parametrize("path", TWINS, ids=[p.stem for p in TWINS])
def test_the_rdf12_twin_gives_the_same_answer_as_the_reified_saved_query(path, reified, annotated):
    twin = read_saved_query(path, None)
    saved = CATALOGUE.get(path.stem)
    assert saved is not None and [p.name for p in twin.params] == [p.name for p in saved.params]
    for params in ({}, *example_parameters(path.stem)):
        bound = substitutions(saved, {k: [v] for k, v in params.items()})
        expected = rows(reified, saved.text, bound)
        assert expected, (path.stem, params)
        assert rows(annotated, twin.text, bound) == expected, (path.stem, params)


def example_parameters(name: str) -> list[dict[str, str]]:
    return {
        "sentence-behind-fact": [
            {"subject": ID + "statistic/ip-talent-2023", "predicate": IPKG + "value"},
            {
                "subject": ID + "instant/2020-07-03",
                "predicate": "http://www.w3.org/2006/time#inXSDDate",
            },
        ],
        "facts-of-sentence": [{"sentence": ID + "article/s11"}, {"sentence": ID + "article/s04"}],
        "readings-and-derivations": [{"support": ID + "support/derived"}],
    }.get(name, [])


def test_the_twins_use_the_join_first_form_not_a_scan_of_every_reifier():
    for path in TWINS:
        text = path.read_text(encoding="utf-8")
        assert "<<" not in text.replace("<<(", ""), path.name  # no << s p o ~ r >> pattern
        assert "rdf:reifies" in text, path.name


def test_every_view_is_listed():
    assert set(VIEWS) == {"inferred-new", "inferred-alignments", "provenance-rdf12"}
