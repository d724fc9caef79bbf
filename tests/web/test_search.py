"""``/search`` against the live article server: names in both languages, sentences, ranking,
HTML escaping and FTS5 query syntax taken as plain text."""

from __future__ import annotations

import requests

from support.servers import RunningServer

ID = "https://ipkg.example.org/id/"


def found(server: RunningServer, q: str, language: str | None = None) -> list[dict]:
    headers = {"Accept": "application/json"}
    if language:
        headers["Accept-Language"] = language
    response = requests.get(server.url + "/search", params={"q": q}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_tongji_finds_tongji_university_first_with_its_class_and_sentence(article_server) -> None:
    first = found(article_server, "Tongji")[0]
    assert first["iri"] == ID + "tongji-university"
    assert first["label"] == "Tongji University"
    assert first["class_label"] == "university"
    assert "Tongji University has regularly hosted" in first["sentence"]
    assert first["href"] == "/id/tongji-university"


def test_a_chinese_name_finds_the_agency_and_shows_the_readers_language(article_server) -> None:
    english = found(article_server, "知识产权局")
    assert english[0]["iri"] == ID + "cnipa"
    assert english[0]["label"] == "China National Intellectual Property Administration"
    chinese = found(article_server, "知识产权局", language="zh-CN")
    assert chinese[0]["label"] == "国家知识产权局"


def test_an_alternative_name_finds_its_resource(article_server) -> None:
    assert found(article_server, "cnipa")[0]["iri"] == ID + "cnipa"


def test_words_only_in_a_sentence_find_the_resources_it_mentions(article_server) -> None:
    hits = found(article_server, "international talent exchanges")
    assert hits and all(h["matched"] == "sentence" for h in hits)
    assert ID + "tongji-university" in {h["iri"] for h in hits}
    assert all("international talent exchanges" in h["sentence"] for h in hits)


def test_fts5_syntax_is_searched_as_text_not_run(article_server) -> None:
    for q in ['" OR *', "NEAR(tongji university)", "text:tongji", "tongji OR x", "a AND"]:
        response = requests.get(article_server.url + "/search", params={"q": q, "format": "json"})
        assert response.status_code == 200, (q, response.text)
    assert found(article_server, "tongji OR nothing-like-this") == []


def test_the_search_page_escapes_what_was_typed(article_server) -> None:
    q = "<script>alert(1)</script>"
    page = requests.get(article_server.url + "/search", params={"q": q}, timeout=30)
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_every_page_has_the_search_box(article_server) -> None:
    for path in ("/", "/id/cnipa", "/api/queries", "/ontology", "/article"):
        page = requests.get(article_server.url + path, headers={"Accept": "text/html"}, timeout=30)
        assert 'class="search-box"' in page.text, path


def test_an_overlong_search_is_refused_with_the_reason(article_server) -> None:
    response = requests.get(article_server.url + "/search", params={"q": "x" * 500}, timeout=30)
    assert response.status_code == 400
    assert "at most 200" in response.text


def test_the_search_page_marks_the_words_found(article_server) -> None:
    page = requests.get(article_server.url + "/search", params={"q": "tongji"}, timeout=30)
    assert "<mark>Tongji</mark> University has regularly hosted" in page.text
    assert '<span class="type">university</span>' in page.text


def test_the_browse_page_sends_a_search_to_the_search_page(article_server) -> None:
    response = requests.get(
        article_server.url + "/id/", params={"q": "Tongji"}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/search?q=Tongji"


def test_control_characters_in_the_search_words_are_not_a_server_error(article_server):
    for words in ("00\x00", "tongji\x1b", "\x00"):
        answer = requests.get(article_server.url + "/search", params={"q": words}, timeout=30)
        assert answer.status_code == 200, (words, answer.text[:200])
