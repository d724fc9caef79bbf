"""A resource page's "Referenced by" rows read as English: the inverse property's own label
where the ontology declares one (owl:inverseOf), else "subject — property — this"; never a
label glued between "is" and "of" ("is works for of")."""

from __future__ import annotations

import re

import requests

ONTOLOGY = "https://ipkg.example.org/ontology#"


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


def test_a_property_with_an_inverse_is_named_by_the_inverse_label(article_server):
    rows = [words(r) for r in referenced_rows(article_server, "/doc/cnipa")]
    assert "has part" in rows  # the units of CNIPA point here by ipkg:partOf
    linked = [r for r in referenced_rows(article_server, "/doc/cnipa") if words(r) == "has part"]
    assert f'title="{ONTOLOGY}hasPart (the inverse of {ONTOLOGY}partOf)"' in linked[0]


def test_every_row_is_an_inverse_label_or_reads_subject_property_this(article_server):
    phrased = 0
    for path in ("/doc/cnipa", "/doc/beijing-municipal-ip-office"):
        for row in referenced_rows(article_server, path):
            if "(the inverse of " in row:
                continue
            assert re.fullmatch(r"subject — [\w ,'-]+ — this", words(row)), row
            phrased += 1
    assert phrased  # ipkg:worksFor has no inverse: "subject — works for — this"
