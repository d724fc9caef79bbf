"""The committed ontology diagram is what ``ipkg diagram`` generates from the ontology, so the
picture in the README cannot go stale."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import rdflib

from ipkg.linkeddata.diagram import article_ontology_dot, ontology_dot, render_svg

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def test_committed_dot_equals_the_generated_one():
    committed = (DOCS / "ontology.dot").read_text(encoding="utf-8")
    assert committed == article_ontology_dot(), "run: ipkg diagram --svg docs/ontology.svg"


def test_the_diagram_shows_core_classes_subclasses_and_main_links():
    dot = article_ontology_dot()
    for name in ("Person", "Institution", "Program", "Hub", "Statistic"):
        assert f'"{name}" [style="filled,bold"' in dot
    assert '"University" -> "Institution" [arrowhead=empty' in dot
    assert '"Person" -> "Post" [label="holdsPost / heldBy"]' in dot
    assert '"Institution" -> "Institution" [label="partOf / hasPart (transitive)"]' in dot


def test_the_diagram_is_deterministic_and_follows_the_ontology():
    ontology = rdflib.Graph().parse(
        data="""
        @prefix ipkg: <https://ipkg.example.org/ontology#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ipkg:A a owl:Class . ipkg:B a owl:Class ; rdfs:subClassOf ipkg:A .
        ipkg:p a owl:ObjectProperty ; rdfs:domain ipkg:B ; rdfs:range ipkg:A .
        """,
        format="turtle",
    )
    dot = ontology_dot(ontology)
    assert dot == ontology_dot(ontology)
    assert '"B" -> "A" [arrowhead=empty' in dot
    assert '"B" -> "A" [label="p"]' in dot


@pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz is not installed (in CI, .ci/run installs it and this never skips)",
)
def test_graphviz_renders_the_diagram_to_svg():
    svg = render_svg(article_ontology_dot())
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert b"Statistic" in svg
