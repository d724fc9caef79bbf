"""The home page opens with what the graph holds, counted from the data (people, institutions,
statistics, sentences: each number is what a COUNT over the endpoint answers) and links to
saved queries to start with, each of which answers."""

from __future__ import annotations

import re

import requests

CLASSES = {"people": "Person", "institutions": "Institution", "statistics": "Statistic"}


def counted(server, local: str) -> int:
    query = (
        "PREFIX ipkg: <https://ipkg.example.org/ontology#>\n"
        f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a ipkg:{local} }}"
    )
    answer = requests.get(
        server.sparql, params={"query": query}, headers={"Accept": "text/csv"}, timeout=30
    )
    return int(answer.text.split()[1])


def holdings(server) -> str:
    page = requests.get(server.url + "/", timeout=30).text
    found = re.search(r'<p class="holdings">(.*?)</p>', page, re.S)
    assert found, "the home page has no paragraph on what the graph holds"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found[1]))


def test_the_home_page_counts_people_institutions_statistics_and_sentences(article_server):
    text = holdings(article_server)
    for noun, local in CLASSES.items():
        number = re.search(rf"(\d+) {noun}\b", text)
        assert number, (noun, text)
        assert int(number[1]) == counted(article_server, local) > 0
    sentences = re.search(r"the (\d+) sentences of the article", text)
    assert sentences and int(sentences[1]) == counted(article_server, "Sentence") > 0


def test_the_home_page_links_saved_queries_to_start_with_and_each_answers(article_server):
    page = requests.get(article_server.url + "/", timeout=30).text
    featured = re.search(r'<nav class="featured"[^>]*>(.*?)</nav>', page, re.S)
    assert featured
    links = re.findall(r'href="(/api/queries/[\w-]+\.html)"', featured[1])
    assert len(links) >= 3
    for link in links:
        assert requests.get(article_server.url + link, timeout=30).status_code == 200, link
