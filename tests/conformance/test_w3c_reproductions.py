"""Each engine deviation's reproduction, run in-process on pyoxigraph, still gives the answer
recorded beside it: when the engine is fixed this fails, and the expected failure (and its
reproduction) must go."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conformance.expected_failures import reproductions

CASES = reproductions()


@pytest.mark.parametrize("test_id", sorted(CASES))
def test_reproduction_still_gives_the_recorded_wrong_answer(test_id: str) -> None:
    repro = CASES[test_id]
    store = ox.Store()
    if repro.data:
        store.extend(ox.parse(repro.data.encode(), format=ox.RdfFormat.TRIG))
    answer = store.query(repro.query).serialize(format=ox.QueryResultsFormat.TSV).decode()
    assert answer == repro.observed, f"{test_id}: pyoxigraph now answers {answer!r}"
