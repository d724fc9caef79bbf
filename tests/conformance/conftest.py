"""The services the W3C suite runs against, one per store for the whole session (started
once; each test replaces the data through the service's own Graph Store Protocol)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conformance import services


@pytest.fixture(scope="session")
def memory_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Service]:
    running = services.ipkg(tmp_path_factory.mktemp("w3c-memory"))
    yield running.service
    running.stop()


@pytest.fixture(scope="session")
def disk_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Service]:
    tmp = tmp_path_factory.mktemp("w3c-disk")
    running = services.ipkg(tmp, f"disk:{tmp / 'store'}")
    yield running.service
    running.stop()
