"""Labels, not IRIs, against the live article server: ``/labels`` in the reader's language,
saved-query pages with labels beside IRIs, and parameter widgets that name their choices.
Also the 404 page's suggestions follow Accept-Language (English when none is sent)."""

from __future__ import annotations

import requests

ID = "https://ipkg.example.org/id/"


def page(server, path: str, language: str | None = None) -> requests.Response:
    headers = {"Accept": "text/html"}
    if language:
        headers["Accept-Language"] = language
    return requests.get(server.url + path, headers=headers, timeout=30)


def test_labels_come_in_the_readers_language(article_server) -> None:
    params = [("iri", ID + "cnipa"), ("iri", "urn:nothing")]
    chinese = requests.get(
        article_server.url + "/labels", params=params, headers={"Accept-Language": "zh-CN"}
    ).json()
    assert chinese == {ID + "cnipa": {"label": "国家知识产权局", "lang": "zh"}}
    english = requests.get(article_server.url + "/labels", params=params).json()
    assert english[ID + "cnipa"]["label"] == "China National Intellectual Property Administration"


def test_a_saved_query_page_shows_labels_with_the_iri_beside(article_server) -> None:
    html = page(article_server, "/api/queries/staff-of-organisation.html").text
    assert '<a class="labelled" href="/id/cnipa" title="https://ipkg.example.org/id/cnipa"' in html
    assert ">China National Intellectual Property Administration</a>" in html
    assert '<code class="iri-beside">https://ipkg.example.org/id/cnipa</code>' in html
    chinese = page(article_server, "/api/queries/staff-of-organisation.html", "zh").text
    assert ">国家知识产权局</a>" in chinese


def test_allowed_values_are_offered_by_their_labels(article_server) -> None:
    html = page(article_server, "/api/queries/programmes-by-status.html").text
    assert (
        '<option value="https://ipkg.example.org/id/status/running" selected '
        'title="https://ipkg.example.org/id/status/running">running</option>'
    ) in html


def test_an_iri_parameter_offers_the_resources_of_its_class(article_server) -> None:
    html = page(article_server, "/api/queries/staff-of-organisation.html").text
    assert 'list="choices-organisation"' in html
    assert '<option value="https://ipkg.example.org/id/cnipa">China National' in html
    people = page(article_server, "/api/queries/reported-by.html").text
    assert '<option value="https://ipkg.example.org/id/liu-jian">' in people
    assert 'https://ipkg.example.org/id/cnipa"' not in people.split("<datalist")[1]


def test_the_404_page_suggests_in_english_unless_asked_otherwise(article_server) -> None:
    for language in (None, "en-US,en;q=0.9"):
        html = page(article_server, "/id/cnipa-nothing", language).text
        assert "China National Intellectual Property Administration" in html
        assert "国家知识产权局" not in html
    chinese = page(article_server, "/id/cnipa-nothing", "zh-CN,zh;q=0.9").text
    assert "国家知识产权局" in chinese
