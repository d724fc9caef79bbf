"""Fixtures of the store tests: a private Virtuoso for the session, and one cache directory
shared by the article servers (the article is validated and reasoned once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from virtuoso import SMALL_MAX_ROWS, RunningVirtuoso, require_virtuoso, start_virtuoso


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
