"""What a resource page says, computed on the real article graph (ontology, facts, OWL-RL)."""

from __future__ import annotations

import pytest

from ipkg.build.cache import InferenceCache
from ipkg.build.dataset import article_quads, store_of
from ipkg.build.sources import ArticleSources
from ipkg.linkeddata.describe import Description, describe, number_words, period_words, store_select
from ipkg.linkeddata.labels import local_name, pick, preferred_languages
from ipkg.namespaces import Namespaces

NS = Namespaces()
TIME = "http://www.w3.org/2006/time#"


@pytest.fixture(scope="module")
def run(inference_cache: InferenceCache):
    cache = inference_cache
    return store_select(store_of(article_quads(ArticleSources.embedded(), NS, cache=cache)))


def page(run, name: str, language: str = "en") -> Description:
    return describe(run, NS, NS.instances + name, preferred_languages(language))


def values(d: Description, predicate: str, incoming: bool = False) -> dict[str, object]:
    groups = d.incoming if incoming else d.outgoing
    return {
        link.value.value: link
        for group in groups
        if group.predicate.value == predicate
        for link in group.links
    }


def test_person_has_english_label_and_asserted_and_inferred_types_apart(run):
    d = page(run, "zhang-zhicheng")
    assert d.label == "Zhang Zhicheng"
    asserted = {t.term.value for t in d.types if t.asserted}
    inferred = {t.term.value for t in d.types if t.inferred and not t.asserted}
    assert NS.ontology + "Person" in asserted
    assert "http://xmlns.com/foaf/0.1/Person" in inferred


def test_post_link_carries_its_label_and_the_sentence_that_states_it(run):
    d = page(run, "zhang-zhicheng")
    posts = values(d, NS.ontology + "holdsPost")
    assert posts, "Zhang Zhicheng holds a post"
    link = next(iter(posts.values()))
    assert link.asserted and not link.inferred
    assert "Director General" in link.value.label
    assert any("Zhang Zhicheng" in s.text for s in link.sentences)
    assert all(s.anchor.startswith("s") for s in link.sentences)


def test_inferred_link_is_marked_inferred_not_asserted(run):
    d = page(run, "zhang-zhicheng")
    works_for = values(d, NS.ontology + "worksFor")
    assert NS.instances + "cnipa" in works_for
    assert works_for[NS.instances + "cnipa"].inferred
    assert not works_for[NS.instances + "cnipa"].asserted


def test_incoming_links_are_listed_with_the_linking_resource(run):
    d = page(run, "cnipa")
    assert d.incoming
    assert all(link.value.is_iri for group in d.incoming for link in group.links)


def test_chinese_label_is_preferred_when_the_reader_asks_for_chinese(run):
    assert page(run, "cnipa", "zh-CN,zh;q=0.9").label_language == "zh"
    assert page(run, "cnipa", "en").label_language == "en"


def test_chinese_reader_falls_back_to_english_where_no_chinese_label_exists(run):
    d = page(run, "zhang-zhicheng", "zh")
    assert (d.label, d.label_language) == ("Zhang Zhicheng", "en")


def test_statistic_is_written_in_words_from_its_qualifier_measure_and_period(run):
    d = describe(
        run,
        NS,
        NS.instances + "statistic/local-ip-administrative-retraining-sessions",
        ("en",),
    )
    assert d.statistic is not None
    assert d.statistic.phrase.startswith("over 150 retraining sessions")
    assert "since the start of the 14th Five-Year Plan" in d.statistic.phrase


def test_statistic_with_a_date_and_an_exact_value_has_no_qualifier_word(run):
    d = describe(run, NS, NS.instances + "statistic/ip-talent-2023", ("en",))
    assert d.statistic is not None
    assert d.statistic.phrase.startswith("860,000 ")
    assert d.statistic.phrase.endswith("at the end of 2023")


def test_unknown_iri_has_an_empty_description(run):
    assert not page(run, "no-such-thing").exists


def test_number_words_groups_thousands_and_drops_needless_decimals():
    import pyoxigraph as ox

    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    assert number_words(ox.Literal("860000", datatype=decimal)) == "860,000"
    assert number_words(ox.Literal("2.0", datatype=decimal)) == "2"
    assert number_words(ox.Literal("2.50", datatype=decimal)) == "2.5"


def test_period_words_follow_the_owl_time_relation():
    plan = "14th Five-Year Plan period"
    assert period_words("so far", TIME + "intervalStarts", plan) == (
        "since the start of the 14th Five-Year Plan period"
    )
    assert period_words("end", TIME + "intervalFinishes", plan).startswith("at the end of the")
    assert period_words("the past four years (as of now)", "", "") == "in the past four years"
    assert period_words(plan, "", "") == "during the 14th Five-Year Plan period"


def test_label_choice_follows_accept_language_with_english_fallback():
    labels = {("Beijing", "en"), ("北京", "zh")}
    assert pick(labels, preferred_languages("zh-Hans-CN")) == ("北京", "zh")
    assert pick(labels, preferred_languages("fr, zh;q=0.5")) == ("北京", "zh")
    assert pick(labels, preferred_languages("fr")) == ("Beijing", "en")
    assert pick(labels, preferred_languages(None)) == ("Beijing", "en")
    assert pick(set(), ("en",)) is None


def test_unlabelled_iris_get_readable_names():
    assert local_name("http://xmlns.com/foaf/0.1/Person") == "foaf:Person"
    assert local_name("https://ipkg.example.org/id/cnipa") == "cnipa"


def test_each_link_says_whether_the_article_states_reads_or_derives_it(run):
    hub = page(run, "hub/shanghai")
    successes = values(hub, NS.ontology + "initialSuccessIn")
    assert successes and all(link.support.key == "read" for link in successes.values())
    assert all("s07 names no hub" in link.support.reason for link in successes.values())
    located = values(hub, NS.ontology + "locatedIn")
    assert all(link.support.key == "stated" for link in located.values())
    period = page(run, "period/past-four-years")
    begins = next(iter(values(period, "http://www.w3.org/2006/time#hasBeginning").values()))
    assert begins.support.key == "derived"
    assert begins.support.reason == "the article's date less the period's duration"
