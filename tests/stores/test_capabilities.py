"""What a store can do is declared by the store (``Store.capabilities``), never sniffed by its
callers (issue 19, point 7): the local stores run queries in this host's workers and may be
cached; a remote store can change behind the service's back, so neither ``/sparql`` nor
``/api/queries`` keeps its answers."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
import requests

from ipkg.stores import MemoryStore, RemoteStore
from ipkg.stores.base import LOCAL, ON_DISK, REMOTE
from ipkg.stores.disk import DiskStore
from ipkg.stores.remote import Endpoint


def test_local_stores_declare_workers_and_cacheable_answers():
    assert MemoryStore(ox.Store()).capabilities == LOCAL
    assert DiskStore.capabilities == ON_DISK
    for local in (LOCAL, ON_DISK):
        assert local.local_workers and local.cacheable


def test_only_the_disk_store_must_be_closed_before_it_is_opened_again():
    assert ON_DISK.single_opener
    assert not LOCAL.single_opener and not REMOTE.single_opener


def test_a_remote_store_declares_no_local_workers_and_no_cacheable_answers():
    remote = RemoteStore(Endpoint.parse("sparql+http://127.0.0.1:9/sparql"), ["http://ex/g"])
    assert remote.capabilities == REMOTE
    assert not REMOTE.local_workers and not REMOTE.cacheable


def cache_hits(url: str) -> float:
    metrics = requests.get(url + "/metrics", timeout=30).text
    found = re.search(r"^ipkg_api_cache_hits_total (\S+)$", metrics, re.MULTILINE)
    assert found, metrics
    return float(found[1])


@pytest.mark.virtuoso
@pytest.mark.slow
def test_on_a_remote_store_sparql_and_the_saved_query_api_both_keep_no_answer(remote_server):
    url = remote_server.url
    for _ in range(2):
        answer = requests.get(url + "/api/queries/hubs.json", timeout=60)
        assert answer.status_code == 200, answer.text
        sparql = requests.get(remote_server.sparql, params={"query": "ASK {}"}, timeout=60)
        assert sparql.headers["X-Result-Cache"] == "off"
    assert cache_hits(url) == 0


@pytest.mark.slow
def test_on_a_local_store_both_keep_their_answers(memory_server):
    url = memory_server.url
    before = cache_hits(url)
    for _ in range(2):
        assert requests.get(url + "/api/queries/hubs.json", timeout=60).status_code == 200
        sparql = requests.get(
            memory_server.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=60
        )
    assert sparql.headers["X-Result-Cache"] == "hit"
    assert cache_hits(url) > before
