"""Shared fixtures: real servers on 127.0.0.1 (``support/servers.py``) and the test data paths."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipkg.build.cache import InferenceCache
from support.listener import Listener
from support.servers import RunningServer, start_server

TESTS = Path(__file__).resolve().parent
W3C = TESTS / "w3c"
W3C_GRAPH_BASE = "http://kasei.us/2009/09/sparql/data/"


def w3c_data_args() -> list[str]:
    """``--data`` arguments that preload the W3C protocol test graphs under their names."""
    return [
        arg
        for n in (1, 2, 3)
        for arg in ("--data", f"{W3C_GRAPH_BASE}data{n}.rdf={W3C / f'data{n}.nt'}")
    ]


@pytest.fixture(scope="session")
def inference_cache(tmp_path_factory: pytest.TempPathFactory) -> InferenceCache:
    """One inference cache for the session: the article is reasoned once, not once per module."""
    return InferenceCache(tmp_path_factory.mktemp("inference-cache"))


@pytest.fixture(scope="session")
def article_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """ipkg serving the embedded article graph with default settings."""
    server = start_server(tmp_path_factory.mktemp("article"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """ipkg serving the W3C protocol test graphs, with a short deadline for hostile tests."""
    server = start_server(
        tmp_path_factory.mktemp("w3c"), [*w3c_data_args(), "--query-timeout", "3"]
    )
    yield server
    server.stop()


QUERIES_FIXTURE = TESTS / "web" / "queries_fixture"


@pytest.fixture(scope="session")
def saved_queries_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """ipkg serving the saved-query fixtures (tests/web/queries_fixture) over their small data."""
    server = start_server(
        tmp_path_factory.mktemp("saved-queries"),
        ["--data", str(QUERIES_FIXTURE / "data.ttl"), "--queries", str(QUERIES_FIXTURE)],
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def w3c_update_token() -> str:
    """The bearer token of ``w3c_update_server``."""
    return "w3c-update-token"


@pytest.fixture(scope="module")
def w3c_update_server(
    tmp_path_factory: pytest.TempPathFactory, w3c_update_token: str
) -> Iterator[RunningServer]:
    """ipkg serving the W3C protocol test graphs with authenticated updates enabled."""
    server = start_server(
        tmp_path_factory.mktemp("w3c-update"),
        [*w3c_data_args(), "--query-timeout", "3"],
        env={"IPKG_UPDATE_TOKEN": w3c_update_token},
    )
    yield server
    server.stop()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A listener on 127.0.0.1 that records connections (shown able to see one first)."""
    watcher = Listener()
    # The listener must be able to see a connection, or "none recorded" would prove nothing.
    socket.create_connection(("127.0.0.1", watcher.port), timeout=2).close()
    assert len(watcher.settle()) == 1
    watcher.connections.clear()
    yield watcher
    watcher.close()
