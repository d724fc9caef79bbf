"""The same W3C tests against ``ipkg serve`` on the disk store (RocksDB: every write restarts
the query workers, so this run is slow)."""

from __future__ import annotations

import pytest
from conformance.params import check, parameters
from conformance.suite import FOLDERS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", parameters("disk", FOLDERS))
def test_w3c_test_passes_on_the_disk_store(case, disk_service) -> None:
    check(case, disk_service)
