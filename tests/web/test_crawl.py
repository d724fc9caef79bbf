"""A crawler walks the site from the home page and the browse index, as a search engine would:
every IRI the dataset mints under its base is reached and answers 200 (HTML) or 303, and no
internal link is broken (fragments included)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import requests

pytestmark = pytest.mark.slow  # crawls every page of the site

BASE = "https://ipkg.example.org/"
FOLLOWED = ("/id/", "/doc/", "/article", "/ontology", "/export/", "/.well-known/", "/graph/")
EVERY_IRI = """SELECT DISTINCT ?x WHERE {
  { ?x ?p ?o } UNION { ?s ?x ?o } UNION { ?s ?p ?x } UNION { GRAPH ?x { } }
  FILTER(isIRI(?x) && STRSTARTS(STR(?x), "https://ipkg.example.org/"))
}"""


class Page(HTMLParser):
    """The links (href, src) and element ids of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


@dataclass
class Crawl:
    """What the crawler saw: status per URL, ids per page, and where each link was found."""

    status: dict[str, int] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)
    fragments: list[tuple[str, str, str]] = field(default_factory=list)
    broken: list[tuple[str, str, int]] = field(default_factory=list)


def crawl(root: str, seeds: list[str]) -> Crawl:
    seen = Crawl()
    session = requests.Session()
    queue = deque((root + s, "(seed)") for s in seeds)
    queued = {url for url, _ in queue}
    while queue:
        url, referrer = queue.popleft()
        path = url[len(root) :]
        expand = path == "/" or path.startswith(FOLLOWED)
        response = session.get(
            url, headers={"Accept": "text/html"}, allow_redirects=False, timeout=60
        )
        seen.status[url] = response.status_code
        if response.status_code >= 400:
            seen.broken.append((url, referrer, response.status_code))
            continue
        targets = []
        if response.is_redirect:
            targets.append(urljoin(url, response.headers["Location"]))
        elif expand and response.headers.get("Content-Type", "").startswith("text/html"):
            page = Page()
            page.feed(response.text)
            seen.ids[url] = page.ids
            targets += [urljoin(url, link) for link in page.links]
        for target in targets:
            bare, fragment = urldefrag(target)
            if urlsplit(bare).netloc != urlsplit(root).netloc:
                continue
            if fragment:
                seen.fragments.append((bare, fragment, url))
            if bare not in queued:
                queued.add(bare)
                queue.append((bare, url))
    return seen


@pytest.fixture(scope="module")
def site(article_server) -> Crawl:
    return crawl(article_server.url, ["/", "/id/"])


def dataset_iris(server) -> list[str]:
    r = requests.get(
        server.sparql,
        params={"query": EVERY_IRI},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    return sorted(b["x"]["value"] for b in r.json()["results"]["bindings"])


def test_no_internal_link_is_broken(site):
    assert site.broken == []


def test_every_fragment_link_lands_on_an_element_with_that_id(site):
    missing = [
        (page, fragment, referrer)
        for page, fragment, referrer in site.fragments
        if page in site.ids and fragment not in site.ids[page]
    ]
    assert missing == []


def test_every_dataset_iri_is_reached_and_answers_200_or_303(article_server, site):
    iris = dataset_iris(article_server)
    assert len(iris) > 100
    unreached, wrong = [], []
    for iri in iris:
        url = article_server.url + "/" + urldefrag(iri)[0][len(BASE) :]
        if url not in site.status:
            unreached.append(iri)
            continue
        response = requests.get(
            url, headers={"Accept": "text/html"}, allow_redirects=False, timeout=60
        )
        html = response.headers.get("Content-Type", "").startswith("text/html")
        text_file = iri.endswith(".txt") and response.status_code == 200  # the article's text
        if not (response.status_code == 303 or (response.status_code == 200 and html) or text_file):
            wrong.append((iri, response.status_code))
    assert unreached == []
    assert wrong == []
