"""Resource pages on the live article server: properties by friendly name only (IRI on hover),
aligned properties folded into one row, the data formats listed by name."""

from __future__ import annotations

import re

import requests


def page(server, path: str) -> str:
    return requests.get(server.url + path, headers={"Accept": "text/html"}, timeout=30).text


def row_names(html: str) -> list[str]:
    heads = re.findall(r'<th scope="row">(.*?)</th>', html, flags=re.S)
    names = [re.sub(r'<small class="aligned">.*', "", h, flags=re.S) for h in heads]
    return [re.sub(r"<[^>]+>", "", n).strip() for n in names]


def test_aligned_properties_are_shown_once_with_their_equivalents(article_server) -> None:
    html = page(article_server, "/doc/zhang-zhicheng")
    names = row_names(html)
    assert names.count("works for") == 1
    works_for = html[html.index(">works for<") :].split("</th>")[0]
    assert "org:memberOf" in works_for and "schema:worksFor" in works_for
    assert names.count("holds post") == 1


def test_property_rows_use_names_never_prefixed_names(article_server) -> None:
    for path in ("/doc/cnipa", "/doc/zhang-zhicheng", "/doc/tongji-university"):
        names = row_names(page(article_server, path))
        assert names, path
        assert not [n for n in names if re.search(r"\b[a-z]+:[A-Za-z]", n)], (path, names)
    cnipa = row_names(page(article_server, "/doc/cnipa"))
    assert "has part" in cnipa and "alternative name" in cnipa


def test_formats_are_listed_by_name(article_server) -> None:
    html = page(article_server, "/doc/cnipa")
    section = html[html.index('<section class="formats">') :]
    shown = re.findall(r"<li><a [^>]*>([^<]+)</a></li>", section)
    assert shown == ["HTML page", "Turtle", "JSON-LD", "N-Triples", "RDF/XML"]


def test_classes_by_name_apart_from_other_vocabularies_classes(article_server) -> None:
    html = page(article_server, "/doc/zhang-zhicheng")
    named, other = re.findall(r'<p class="types[^"]*">(.*?)</p>', html, flags=re.S)
    named_text = re.sub(r"<[^>]+>", " ", named)
    assert "person" in named_text and not re.search(r"\b[a-z]+:[A-Z]", named_text)
    assert "In other vocabularies:" in other and "foaf:Person" in other
