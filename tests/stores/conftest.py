"""Fixtures of the store tests: a private Virtuoso for the session, one cache directory shared
by the article servers (the article is validated and reasoned once per session), and the
article served from each store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.servers import RunningServer, start_server
from support.virtuoso import (
    SMALL_MAX_ROWS,
    RunningVirtuoso,
    require_virtuoso,
    served_from_virtuoso,
    start_virtuoso,
)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningVirtuoso]:
    """A Virtuoso 7 on loopback ports in a temporary directory, stopped by its PID after."""
    require_virtuoso()
    server = start_virtuoso(
        tmp_path_factory.mktemp("virtuoso"), max_rows=SMALL_MAX_ROWS, max_seconds=20
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def article_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory for every article server of the store tests."""
    return tmp_path_factory.mktemp("article-cache")


def article_server(tmp: Path, cache: Path, args: list[str], env: dict | None = None):
    """The article graph served by ``ipkg serve ARGS``, with the session's inference cache."""
    return start_server(tmp, args, env={"IPKG_CACHE_DIR": str(cache), **(env or {})}, timeout=600)


@pytest.fixture(scope="session")
def memory_server(tmp_path_factory, article_cache) -> Iterator[RunningServer]:
    """The article on the in-memory store: the reference every other store is compared with."""
    server = article_server(tmp_path_factory.mktemp("memory"), article_cache, [])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def disk_server(tmp_path_factory, article_cache, memory_server) -> Iterator[RunningServer]:
    """The article built into a RocksDB store and served from it."""
    tmp = tmp_path_factory.mktemp("disk")
    server = article_server(tmp, article_cache, ["--store", f"disk:{tmp / 'db'}"])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def remote_server(tmp_path_factory, article_cache, virtuoso, memory_server):
    """The article pushed to the session's Virtuoso by ``ipkg push`` and served from it."""
    tmp = tmp_path_factory.mktemp("remote")
    server = served_from_virtuoso(virtuoso, tmp, [], env={"IPKG_CACHE_DIR": str(article_cache)})
    yield server
    server.stop()
