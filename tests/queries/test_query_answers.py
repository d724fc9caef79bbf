"""Every saved query, run the way ipkg runs it (header read, parameters bound, pyoxigraph on the
reasoned article store), gives the answer the article states. Expected values are written by hand
from data/article.txt."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from ipkg.build.cache import InferenceCache
from ipkg.build.dataset import article_quads, store_of
from ipkg.build.sources import ArticleSources
from ipkg.namespaces import Namespaces
from ipkg.queries.binding import substitutions
from ipkg.queries.saved import read_catalogue
from ipkg.sparql.execution import QueryRequest, run_query

SOURCES = ArticleSources.embedded()
ID = "https://ipkg.example.org/id/"
IPKG = "https://ipkg.example.org/ontology#"
NUMERIC = {
    "http://www.w3.org/2001/XMLSchema#integer",
    "http://www.w3.org/2001/XMLSchema#decimal",
}
CATALOGUE = read_catalogue(SOURCES.queries, strict=True)


@pytest.fixture(scope="module")
def store(inference_cache: InferenceCache) -> ox.Store:
    cache = inference_cache
    return store_of(article_quads(SOURCES, Namespaces(), cache=cache))


def value(term) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value in NUMERIC:
        number = Decimal(term.value)
        return int(number) if number == number.to_integral_value() else number
    return term.value


def answer(store: ox.Store, name: str, **params: str) -> list[tuple]:
    query = CATALOGUE.get(name)
    assert query is not None, name
    bound = substitutions(query, {k: [v] for k, v in params.items()})
    result = run_query(store, QueryRequest(query.text, "json", substitutions=bound))
    names = [v.value for v in result.variables]
    return [tuple(value(s[n]) for n in names) for s in result]


def column(rows: list[tuple], index: int) -> list:
    return [row[index] for row in rows]


def test_there_are_at_least_18_saved_queries_and_all_are_valid():
    assert len(CATALOGUE.queries) >= 18
    assert not CATALOGUE.errors
    assert sum(1 for q in CATALOGUE.queries if q.params) >= 4
    assert sum(1 for q in CATALOGUE.queries if q.pagination) >= 1
    for query in CATALOGUE.queries:
        assert query.title and query.description and query.tags, query.name


def test_talent_growth_is_computed_from_the_two_counts(store):
    assert answer(store, "talent-growth") == [
        (690000, 860000, 170000, Decimal("24.6"), "as stated", "persons")
    ]


def test_people_and_posts(store):
    assert answer(store, "people-and-posts") == [
        (
            ID + "cai-xin",
            "Cai Xin",
            "Deputy Director General of the Beijing Municipal Intellectual Property Office",
            "Beijing Municipal Intellectual Property Office",
            None,
        ),
        (
            ID + "liu-jian",
            "Liu Jian",
            "Acting Head of the China Intellectual Property Training Center",
            "China Intellectual Property Training Center",
            None,
        ),
        (
            ID + "liu-jian",
            "Liu Jian",
            "Deputy Director General of the China Intellectual Property Training Center",
            "China Intellectual Property Training Center",
            None,
        ),
        (
            ID + "zhang-zhicheng",
            "Zhang Zhicheng",
            "Director General of the Personnel Department at the CNIPA",
            "Personnel Department of the CNIPA",
            "China National Intellectual Property Administration",
        ),
        (
            ID + "zhou-guangquan",
            "Zhou Guangquan",
            "Dean of the School of Law at Tsinghua University",
            "School of Law, Tsinghua University",
            "Tsinghua University",
        ),
    ]


def test_staff_of_cnipa_includes_the_head_of_its_personnel_department(store):
    assert answer(store, "staff-of-organisation") == [
        (ID + "cnipa", ID + "zhang-zhicheng", "Zhang Zhicheng")
    ]
    assert answer(store, "staff-of-organisation", organisation=ID + "tsinghua-university") == [
        (ID + "tsinghua-university", ID + "zhou-guangquan", "Zhou Guangquan")
    ]


def test_three_hubs_being_built(store):
    assert answer(store, "hubs") == [
        (ID + "hub/beijing", "Beijing high-level IP talent hub", "Beijing", "being built", 3),
        (
            ID + "hub/greater-bay-area",
            "Guangdong-Hong Kong-Macao Greater Bay Area high-level IP talent hub",
            "Guangdong-Hong Kong-Macao Greater Bay Area",
            "being built",
            3,
        ),
        (ID + "hub/shanghai", "Shanghai high-level IP talent hub", "Shanghai", "being built", 3),
    ]


def test_what_the_shanghai_hub_did(store):
    rows = answer(store, "hub-activities", hub=ID + "hub/shanghai")
    members = [(kind, what) for _hub, kind, what in rows if kind != "initial success"]
    assert members == [
        ("master's programme", "Chinese Government IP Master's Program"),
        ("master's programme", "WIPO - Tongji IP Master's Program"),
        ("university", "Tongji University"),
    ]


def test_what_the_beijing_hub_did(store):
    rows = answer(store, "hub-activities")
    assert {(kind, what) for _hub, kind, what in rows if kind != "initial success"} == {
        ("committee", "National Laboratory IP Expert Advisory Committee"),
        ("evaluation", "Beijing evaluation for advanced IP professional titles"),
        ("government agency", "Beijing Municipal Intellectual Property Office"),
        ("focus", "IP services industry"),
        ("focus", "selecting talents from top patent agencies"),
    }
    assert len([r for r in rows if r[1] == "initial success"]) == 4


def test_programmes_involving_wipo(store):
    assert answer(store, "wipo-programmes") == [
        (
            "Intellectual Property and Innovation Policy joint master's program",
            "Tsinghua University",
            "agreed",
            "2023-11",
            "2024",
            "2024-09",
        ),
        ("WIPO - Tongji IP Master's Program", "Tongji University", "running", None, None, None),
    ]


def test_all_programmes(store):
    rows = answer(store, "programmes")
    assert len(rows) == 13
    assert (
        "Professional Master's Program in Intellectual Property",
        "master's programme",
        "Tsinghua University",
        None,
        "being explored",
    ) in rows
    assert column(rows, 0).count("Chinese Government IP Master's Program") == 1


def test_programmes_by_status(store):
    assert column(answer(store, "programmes-by-status", status=ID + "status/agreed"), 1) == [
        "Intellectual Property and Innovation Policy joint master's program"
    ]
    assert column(
        answer(store, "programmes-by-status", status=ID + "status/being-explored"), 1
    ) == ["Professional Master's Program in Intellectual Property"]
    # "has ... carried out over 150 retraining sessions" and "has been intensified" give no
    # status: the perfect tense alone does not say the training is still going on
    assert len(answer(store, "programmes-by-status")) == 6


def test_approximations_and_their_bounds(store):
    rows = [
        (value, qualifier, low, high)
        for _s, value, qualifier, low, high, _unit in answer(store, "approximate-statistics")
    ]
    assert sorted(rows, key=lambda r: (r[0], r[1])) == [
        (2, "more than", 2, None),
        (2, "more than", 2, None),
        (2, "more than", 2, None),
        (150, "over", 150, None),
        (700, "over", 700, None),
        (1200, "nearly", None, 1200),
        (2000, "nearly", None, 2000),
    ]


def test_sentence_behind_zhangs_post(store):
    assert answer(store, "sentence-behind-fact") == [
        (
            ID + "zhang-zhicheng",
            IPKG + "holdsPost",
            ID + "post/cnipa-personnel-department-director-general",
            ID + "article/s05",
            5,
            399,
            611,
            "Zhang Zhicheng, Director General of the Personnel Department at the CNIPA, introduced"
            ' the "14th Five-Year Plan for Intellectual Property Talent", which focuses on key'
            " talent projects in high-level IP talent hubs.",
        )
    ]


def test_sentence_behind_the_860000(store):
    rows = answer(
        store,
        "sentence-behind-fact",
        subject=ID + "statistic/ip-talent-2023",
        predicate=IPKG + "value",
    )
    assert [(r[2], r[4], r[5], r[6]) for r in rows] == [(860000, 2, 42, 198)]
    assert "to 860,000" in rows[0][7]


def test_facts_of_the_committee_sentence(store):
    rows = answer(store, "facts-of-sentence")
    # 34 facts s26 states, 6 of s27 and s28 that go on about the session s26 names ("These
    # experts", "This session"), 2 of s29 read as about the committee ("committee members")
    assert len(rows) == 42
    assert (
        ID + "article/s26",
        ID + "statistic/expert-committee-session-5-experts",
        IPKG + "value",
        48,
        "stated",
    ) in rows
    assert (
        ID + "article/s26",
        ID + "statistic/expert-committee-session-5-academicians",
        IPKG + "subsetOf",
        ID + "statistic/expert-committee-session-5-experts",
        "stated",
    ) in rows
    assert [r[1] for r in rows if r[4] == "read from context"] == [
        ID + "statistic/expert-committee-ip-tasks",
        ID + "statistic/expert-committee-person-times",
    ]
    assert [r[1] for r in rows if r[4] == "derived"] == [
        ID + "national-ip-expert-advisory-committee-session-5"
    ]


def test_expert_committee_composition(store):
    session = "fifth session of the National Intellectual Property Expert Advisory Committee"
    assert answer(store, "expert-committee") == [
        (session, 5, "2024-03", 48, 9, "Chinese Academy of Engineering", "as stated", "persons"),
        (session, 5, "2024-03", 48, 9, "Chinese Academy of Sciences", "as stated", "persons"),
    ]


def test_what_the_expert_committee_covers(store):
    assert answer(store, "expert-committee-fields") == [
        ("field of new experts", "artificial intelligence", None, None, None),
        ("field of new experts", "big data", None, None, None),
        ("field of new experts", "new energy", None, None, None),
        ("field of new experts", "new materials", None, None, None),
        ("recommendation topic", "policies on standard-essential patents", None, None, None),
        ("recommendation topic", "traditional Chinese medicine IP protection", None, None, None),
        (
            "work since the 14th Five-Year Plan began",
            "IP tasks committee members participated in",
            700,
            "over",
            "tasks",
        ),
        (
            "work since the 14th Five-Year Plan began",
            "person-times of committee members' participation in IP tasks",
            1200,
            "nearly",
            "person-times",
        ),
    ]


def test_events_and_dates(store):
    rows = answer(store, "events")
    assert {(kind, date) for _e, kind, date, _p in rows} == {
        ("press conference", None),
        ("committee session", "2024-03"),
        ("agreement signing", "2023-11"),
    }
    signing = [p for _e, kind, _d, p in rows if kind == "agreement signing"]
    assert signing == ["Tsinghua University", "World Intellectual Property Organization"]


def test_per_capita_patents_more_than_double_the_national_average(store):
    assert answer(store, "per-capita-patents") == [
        (
            place,
            "more than",
            2,
            "times (ratio)",
            "national average (of the same measure)",
            "2023-12-31",
            "Zhang Zhicheng",
        )
        for place in ("Beijing", "Guangdong", "Shanghai")
    ]


def test_training_numbers(store):
    rows = [
        (value, unit, qualifier)
        for _p, _h, value, unit, qualifier, _period in answer(store, "training-numbers")
    ]
    assert sorted(rows) == [
        (19, "types of training", "as stated"),
        (150, "sessions", "over"),
        (2000, "persons", "nearly"),
    ]


def test_every_institution_is_found_by_reasoning(store):
    rows = answer(store, "institutions")
    assert len(rows) == 13
    assert (ID + "tsinghua-university", "Tsinghua University", "university") in rows
    assert (ID + "tongji-university", "Tongji University", "university") in rows
    assert len({r[0] for r in rows}) == 13


def test_every_number_of_the_article(store):
    rows = answer(store, "statistics")
    assert sorted(column(rows, 1)) == [
        2,
        2,
        2,
        9,
        19,
        48,
        68,
        100,
        150,
        700,
        1200,
        2000,
        690000,
        860000,
    ]


def test_statistics_of_a_year(store):
    assert sorted(column(answer(store, "statistics-by-year"), 1)) == [2, 2, 2, 860000]
    end_of_2020 = "IP talent in China at the end of the 13th Five-Year Plan period"
    assert answer(store, "statistics-by-year", year="2020") == [
        (end_of_2020, 690000, "2020-12-31", 2020, "as stated", "persons")
    ]
    assert sorted(column(answer(store, "statistics-by-year", year="2024"), 1)) == [
        19,
        100,
        150,
        700,
        1200,
        2000,
    ]


def test_every_dated_number_on_one_time_axis(store):
    so_far = "the 14th Five-Year Plan period so far"
    during = "during the 14th Five-Year Plan, up to the press conference"
    four_years = "the past four years (as of the press conference)"
    rows = answer(store, "timeline")
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [
        ("2020-12-31", "2020-12-31", 690000, "as stated", "end of the 13th Five-Year Plan period"),
        ("2023-12-31", "2023-12-31", 860000, "as stated", None),
        ("2023-12-31", "2023-12-31", 2, "more than", None),
        ("2023-12-31", "2023-12-31", 2, "more than", None),
        ("2023-12-31", "2023-12-31", 2, "more than", None),
        ("2024-07-03", "2020-07-03", 2000, "nearly", four_years),
        ("2024-07-03", "2020-07-03", 19, "as stated", four_years),
        ("2024-07-03", "2021-01-01", 100, "as stated", during),
        ("2024-07-03", "2021-01-01", 700, "over", so_far),
        ("2024-07-03", "2021-01-01", 1200, "nearly", so_far),
        ("2024-07-03", "2021-01-01", 150, "over", so_far),
    ]
    assert "Beijing" in rows[2][4] and "Guangdong" in rows[3][4] and "Shanghai" in rows[4][4]


def test_names_in_chinese_are_only_the_certain_ones(store):
    rows = answer(store, "labels-in-language")
    assert {(r[0], r[1]) for r in rows} == {
        (ID + "beijing", "北京"),
        (ID + "china", "中国"),
        (ID + "chinese-academy-of-engineering", "中国工程院"),
        (ID + "chinese-academy-of-sciences", "中国科学院"),
        (ID + "cnipa", "国家知识产权局"),
        (ID + "guangdong", "广东"),
        (ID + "shanghai", "上海"),
        (ID + "tongji-university", "同济大学"),
        (ID + "tsinghua-university", "清华大学"),
        (ID + "wipo", "世界知识产权组织"),
    }
    english = answer(store, "labels-in-language", language="en")
    assert (ID + "zhang-zhicheng", "Zhang Zhicheng", "en") in english


def test_wikidata_links(store):
    assert sorted(r[2].rsplit("/", 1)[1] for r in answer(store, "wikidata-links")) == sorted(
        ["Q177773", "Q16955", "Q956", "Q8686", "Q15175", "Q985999", "Q530471"]
    )


def test_numbers_liu_jian_reported(store):
    assert [(r[1], r[2]) for r in answer(store, "reported-by")] == [
        ("participants trained by the China IP Training Center in the past four years", 2000),
        (
            "types of international training sessions organised by the China IP Training"
            " Center in the past four years",
            19,
        ),
    ]


def test_units_of_institutions_by_inverse_link(store):
    assert answer(store, "unit-hierarchy") == [
        (
            "China National Intellectual Property Administration",
            "Personnel Department of the CNIPA",
        ),
        ("Tsinghua University", "School of Law, Tsinghua University"),
    ]


def test_every_saved_query_is_tested():
    source = Path(__file__).read_text(encoding="utf-8")
    tested = set(re.findall(r'answer\(\s*store,\s*"([^"]+)"', source))
    assert set(CATALOGUE.names) <= tested, set(CATALOGUE.names) - tested


ARTICLE = SOURCES.article.read_text(encoding="utf-8")


def test_who_said_what_tells_quotation_from_reported_speech(store):
    rows = answer(store, "who-said-what")
    kinds = {(r[0], r[2], r[3]): r[1] for r in rows}
    assert kinds == {
        ("Zhang Zhicheng", 5, 5): "reported speech",
        ("Cai Xin", 8, 9): "reported speech",
        ("Zhang Zhicheng", 12, 12): "direct quotation",
        ("Liu Jian", 19, 19): "reported speech",
        ("Zhou Guangquan", 20, 22): "direct quotation",
        ("Zhang Zhicheng", 28, 29): "direct quotation",
    }
    # the article: "..., introduced Zhou Guangquan"; "Cai Xin ... shared that"; "Liu Jian ...
    # reported that"; '..." Zhang stated'
    assert '," introduced Zhou Guangquan' in ARTICLE and "Cai Xin, Deputy" in ARTICLE
    assert "shared that Beijing" in ARTICLE and "reported that in the past four years" in ARTICLE
    assert '," Zhang stated' in ARTICLE and '," Zhang explained' in ARTICLE
    zhou = answer(store, "who-said-what", person=ID + "zhou-guangquan")
    assert {r[4] for r in zhou} == {
        "Intellectual Property and Innovation Policy joint master's program",
        "Professional Master's Program in Intellectual Property",
        "signing of the Tsinghua-WIPO agreement on a joint master's program",
    }


def test_the_people_speaking_for_an_institution_of_a_hub(store):
    rows = answer(store, "hub-spokespeople")
    assert [r[:7] for r in rows] == [
        (
            "Cai Xin",
            "Deputy Director General of the Beijing Municipal Intellectual Property Office",
            "Beijing Municipal Intellectual Property Office",
            "Beijing high-level IP talent hub",
            "reported speech",
            8,
            9,
        )
    ]
    # membership of the hub is a reading: s08 names the office, s06 the hub, s04 heads the section
    assert rows[0][7] == "read from context" and "(s04)" in rows[0][8]
    assert "Cai Xin, Deputy Director General of the Beijing Municipal Intellectual Property" in (
        ARTICLE
    )
    assert "IP talent hubs in Beijing" in ARTICLE and "Building a talent hub" in ARTICLE


def test_statistics_compared_across_the_periods_as_the_article_writes_them(store):
    rows = answer(store, "statistics-across-periods")
    by_period: dict[str, list] = {}
    for written, start, end, end_kind, value, qualifier, unit, _measure in rows:
        by_period.setdefault(written, []).append((value, qualifier, unit))
        assert (start, end, end_kind) == {
            "in the past four years": ("2020-07-03", "2024-07-03", "at most"),
            'at the end of the "13th Five-Year Plan"': ("2020-12-31", "2020-12-31", None),
            'during the "14th Five-Year Plan"': ("2021-01-01", "2024-07-03", "at most"),
            'since the "14th Five-Year Plan"': ("2021-01-01", "2024-07-03", "open"),
        }[written]
    assert {k: sorted(v) for k, v in by_period.items()} == {
        "in the past four years": [
            (19, "as stated", "types of training"),
            (2000, "nearly", "persons"),
        ],
        'at the end of the "13th Five-Year Plan"': [(690000, "as stated", "persons")],
        'during the "14th Five-Year Plan"': [(100, "as stated", "persons")],
        'since the "14th Five-Year Plan"': [
            (150, "over", "sessions"),
            (700, "over", "tasks"),
            (1200, "nearly", "person-times"),
        ],
    }
    assert "in the past four years" in ARTICLE and "nearly 2,000 participants" in ARTICLE
    assert 'a hundred IP talents in various fields receiving advanced titles during the "14th' in (
        ARTICLE
    )
    assert 'Since the "14th Five-Year Plan"' in ARTICLE and "over 150 retraining" in ARTICLE
    assert "Since the '14th Five-Year Plan'" in ARTICLE and "over 700" in ARTICLE


def test_programmes_that_start_after_the_agreement_that_launches_them(store):
    rows = answer(store, "programmes-after-agreement")
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        (
            "Intellectual Property and Innovation Policy joint master's program",
            "2023-11",
            "2024",
            "2024-09",
            "derived",
        )
    ]
    parties = set(rows[0][2].split(", "))
    assert parties == {"Tsinghua University", "World Intellectual Property Organization"}
    assert "In November 2023, in cooperation with the WIPO, we signed an agreement" in ARTICLE
    assert "start recruiting globally this year" in ARTICLE and "enrolling in September" in ARTICLE


def test_every_reading_and_every_derivation_is_listed_with_its_reason(store):
    rows = answer(store, "readings-and-derivations")
    read = {(r[1], r[2], r[3]) for r in rows if r[0] == "read from context"}
    derived = {(r[1], r[2], r[3]) for r in rows if r[0] == "derived"}
    assert all(r[5] for r in rows if r[0] == "read from context")
    assert all(r[6] and r[7] for r in rows if r[0] == "derived")
    # initial successes, hub members, 'committee members', statuses, the Beijing hub's focus
    assert len(read) == 12 + 9 + 2 + 4 + 2
    assert (
        ID + "period/past-four-years",
        "http://www.w3.org/2006/time#hasBeginning",
        ID + "instant/2020-07-03",
    ) in derived
    only_derived = answer(store, "readings-and-derivations", support=ID + "support/derived")
    assert {(r[1], r[2], r[3]) for r in only_derived} == derived
