"""One URL builder (issue 19): deployed under ``--public-base https://kg.example.org/ipkg/``,
no page links a bare root path such as ``/article`` (every link, script, stylesheet and form
is under the public base), and the OpenAPI document's ``servers`` names the public base."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow  # starts its own server

PUBLIC = "https://kg.example.org/ipkg/"
PAGES = [
    "/",
    "/article",
    "/id/",
    "/ontology",
    "/api/queries.html",
    "/api/queries/hubs.html",
    "/api/docs",
    "/search?q=patent",
    "/export/",
    "/sparql",
    "/doc/cnipa",
]
ROOT_LINK = re.compile(r'\b(?:href|src|action|data-endpoint|data-site)="(/[^"]*)"')


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("public"), ["--public-base", PUBLIC])
    yield running
    running.stop()


@pytest.mark.parametrize("path", PAGES)
def test_no_page_links_a_bare_root_path_under_a_public_base(deployed, path):
    response = requests.get(deployed.url + path, headers={"Accept": "text/html"}, timeout=60)
    assert response.status_code == 200, (path, response.status_code)
    bare = ROOT_LINK.findall(response.text)
    assert not bare, f"{path} links {bare}"
    assert PUBLIC in response.text


def test_the_openapi_servers_entry_names_the_public_base(deployed):
    document = requests.get(deployed.url + "/api/openapi.json", timeout=60).json()
    assert [s["url"] for s in document["servers"]] == [PUBLIC.rstrip("/")]
