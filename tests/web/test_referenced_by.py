"""A resource page's "Referenced by" rows read as English: the inverse property's own label
where the ontology declares one (owl:inverseOf), else "subject — property — this"; never a
label glued between "is" and "of" ("is works for of")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from support.servers import RunningServer, start_server

ONTOLOGY = "https://ipkg.example.org/ontology#"
UNREASONED = Path(__file__).parent / "fixtures" / "inverse-unreasoned.ttl"


def referenced_rows(server, path: str) -> list[str]:
    """The row headers of the page's "Referenced by" table, as HTML."""
    page = requests.get(server.url + path, headers={"Accept": "text/html"}, timeout=30).text
    section = page.split("<h2>Referenced by</h2>", 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">(.*?)</th>', section, re.S)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<small.*?</small>|<[^>]+>", "", html)).strip()


def test_no_referenced_by_row_glues_is_and_of_around_a_label(article_server):
    for path in ("/doc/cnipa", "/doc/beijing-municipal-ip-office"):
        rows = referenced_rows(article_server, path)
        assert rows
        for row in rows:
            assert not re.match(r"is .* of$", words(row)), row


@pytest.fixture(scope="module")
def unreasoned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A small graph served without reasoning, so inverses are declared but not stated."""
    server = start_server(tmp_path_factory.mktemp("inverse"), ["--data", str(UNREASONED)])
    yield server
    server.stop()


@pytest.mark.slow
def test_a_property_with_an_inverse_is_named_by_the_inverse_label(unreasoned):
    (row, other) = referenced_rows(unreasoned, "/doc/office")
    if words(row) != "has part":
        row, other = other, row
    assert words(row) == "has part"  # the unit points here by ex:partOf
    assert f'title="{ONTOLOGY}hasPart (the inverse of {ONTOLOGY}partOf)"' in row
    assert words(other) == "subject — works at — this"


def test_a_link_already_shown_under_its_inverse_is_not_repeated(article_server):
    # With OWL-RL, CNIPA's units are stated both ways: "has part" is a property row, and the
    # units' "part of" links are not shown again under Referenced by.
    page = requests.get(article_server.url + "/doc/cnipa", headers={"Accept": "text/html"}).text
    properties = page.split("<h2>Properties</h2>", 1)[1].split("</table>", 1)[0]
    assert ">has part<" in properties
    assert not [r for r in referenced_rows(article_server, "/doc/cnipa") if "partOf" in r]


def test_every_row_is_an_inverse_label_or_reads_subject_property_this(article_server):
    phrased = 0
    for path in ("/doc/cnipa", "/doc/beijing-municipal-ip-office"):
        for row in referenced_rows(article_server, path):
            if "(the inverse of " in row:
                continue
            assert re.fullmatch(r"subject — [\w ,'-]+ — this", words(row)), row
            phrased += 1
    assert phrased  # ipkg:worksFor has no inverse: "subject — works for — this"
