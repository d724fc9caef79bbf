"""The W3C SPARQL 1.1 query, update, Graph Store and service-description tests over HTTP
against ``ipkg serve`` on the memory store (one server for all; the quick loop runs them)."""

from __future__ import annotations

import pytest
from conformance.params import check, parameters
from conformance.suite import FOLDERS


@pytest.mark.parametrize("case", parameters("memory", FOLDERS))
def test_w3c_test_passes_on_the_memory_store(case, memory_service) -> None:
    check(case, memory_service)
