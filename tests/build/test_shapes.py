"""The article's facts conform to the SHACL shapes; broken facts (a statistic without a value, a
person without a name, a misquoted sentence) give violations naming the node and the path, and
``ipkg validate FILE`` reports them in clear lines with a non-zero exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDFS

from ipkg.build.sources import ArticleSources
from ipkg.build.validation import Violation, article_violations, shacl_violations

SOURCES = ArticleSources.embedded()
IPKG = rdflib.Namespace("https://ipkg.example.org/ontology#")
ID = rdflib.Namespace("https://ipkg.example.org/id/")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
STATISTIC = ID["statistic/ip-talent-2023"]
PERSON = ID["cai-xin"]
SENTENCE = ID["article/s05"]


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(SOURCES.ontology)


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SOURCES.shapes)


@pytest.fixture(scope="module")
def text() -> str:
    return SOURCES.article.read_text(encoding="utf-8")


@pytest.fixture
def data() -> rdflib.Graph:
    return rdflib.Graph().parse(SOURCES.facts)


def without(graph: rdflib.Graph, subject, predicate) -> rdflib.Graph:
    graph.remove((subject, predicate, None))
    return graph


def misquoted(graph: rdflib.Graph, sentence) -> rdflib.Graph:
    for selector in graph.objects(sentence, OA.hasSelector):
        exact = graph.value(selector, OA.exact)
        if exact is not None:
            graph.set((selector, OA.exact, rdflib.Literal(str(exact).replace("Zhang", "Wang"))))
    return graph


def about(violations: list[Violation], node, path) -> list[Violation]:
    return [v for v in violations if v.focus == str(node) and v.path == str(path)]


def test_the_article_facts_conform(ontology, shapes, text, data):
    assert article_violations(ontology, data, shapes, text) == []


def test_a_statistic_without_a_value_is_a_violation_naming_node_and_path(ontology, shapes, data):
    violations = shacl_violations(without(data, STATISTIC, IPKG.value), shapes, ontology)
    found = about(violations, STATISTIC, IPKG.value)
    assert found
    assert "ipkg:value" in found[0].message
    assert str(STATISTIC) in str(found[0]) and str(IPKG.value) in str(found[0])


def test_a_statistic_with_text_for_a_value_is_a_violation(ontology, shapes, data):
    data.set((STATISTIC, IPKG.value, rdflib.Literal("over 150")))
    found = about(shacl_violations(data, shapes, ontology), STATISTIC, IPKG.value)
    assert any("typed number" in v.message for v in found)


def test_an_over_without_a_lower_bound_is_a_violation(ontology, shapes, data):
    statistic = ID["statistic/expert-committee-ip-tasks"]
    found = about(
        shacl_violations(without(data, statistic, IPKG.lowerBound), shapes, ontology),
        statistic,
        IPKG.lowerBound,
    )
    assert found and "lowerBound" in found[0].message


def test_a_person_without_a_name_is_a_violation_naming_node_and_path(ontology, shapes, data):
    violations = shacl_violations(without(data, PERSON, RDFS.label), shapes, ontology)
    found = about(violations, PERSON, RDFS.label)
    assert any("no name" in v.message for v in found)


def test_a_person_without_a_post_is_a_violation(ontology, shapes, data):
    found = about(
        shacl_violations(without(data, PERSON, IPKG.holdsPost), shapes, ontology),
        PERSON,
        IPKG.holdsPost,
    )
    assert found and "post" in found[0].message


def test_a_misquoted_sentence_is_a_violation_naming_node_and_path(ontology, shapes, text, data):
    violations = article_violations(ontology, misquoted(data, SENTENCE), shapes, text)
    found = about(violations, SENTENCE, OA.exact)
    assert len(found) == 1
    assert "quote differs from the source at 399..611" in found[0].message


def test_a_statement_without_its_sentence_is_a_violation(ontology, shapes, data):
    statement = next(data.subjects(rdflib.RDF.subject, PERSON))
    data.remove((statement, rdflib.Namespace("http://www.w3.org/ns/prov#").wasDerivedFrom, None))
    violations = shacl_violations(data, shapes, ontology)
    assert any("wasDerivedFrom" in v.message for v in violations)


def run_validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ipkg", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ipkg_validate_accepts_the_article_facts():
    done = run_validate(SOURCES.facts)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK:")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("broken", "node", "path"),
    [
        (lambda g: without(g, STATISTIC, IPKG.value), STATISTIC, IPKG.value),
        (lambda g: without(g, PERSON, RDFS.label), PERSON, RDFS.label),
        (lambda g: misquoted(g, SENTENCE), SENTENCE, OA.exact),
    ],
    ids=["statistic-without-value", "person-without-name", "misquoted-sentence"],
)
def test_ipkg_validate_reports_broken_facts_in_one_line_each(tmp_path, data, broken, node, path):
    facts = tmp_path / "broken.ttl"
    broken(data).serialize(facts, format="turtle")
    done = run_validate(facts)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith(f"{facts}: ") and "violation(s)" in lines[0]
    assert any(f"{node} {path}: " in line for line in lines[1:])


def test_ipkg_validate_reports_a_turtle_syntax_error_with_line_and_column(tmp_path):
    facts = tmp_path / "bad.ttl"
    facts.write_text("@prefix ipkg: <https://ipkg.example.org/ontology#> .\n<urn:x> ipkg:value .\n")
    done = run_validate(facts)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert f"{facts}:2:" in done.stderr


def test_unusable_shapes_give_one_violation_not_an_exception():
    data = rdflib.Graph().parse(data="<http://example.org/a> a <http://example.org/C> .")
    broken_shapes = rdflib.Graph().parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ;"
        ' sh:property [ sh:path ex:p ; sh:minCount "x" ] .',
        format="turtle",
    )
    violations = shacl_violations(data, broken_shapes)
    assert [v.focus for v in violations] == ["shapes"]
    assert "minCount" in violations[0].message


def test_a_missing_shapes_file_is_named_in_an_input_error(tmp_path):
    from dataclasses import replace

    from ipkg.build.dataset import check_article
    from ipkg.build.loading import RdfInputError

    sources = replace(SOURCES, shapes=tmp_path / "gone.ttl")
    with pytest.raises(RdfInputError, match=r"gone\.ttl: no such file"):
        check_article(sources, [], [], cache=None)
