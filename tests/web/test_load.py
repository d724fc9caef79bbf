"""The short version of the load test (``bench/load.py``, same code): the realistic mix at 16
connections for 10 s, quiet and with a hostile query every second, on the article graph. It
asserts no errors and no query worker lost, never timings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import ROOT, saved_queries  # bench/ is on pytest's pythonpath (pyproject.toml)
from load import Scenario, discover, run_scenario

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow  # 10 s of load, twice

WORKERS = 4
DEADLINE = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    args = ["--query-workers", str(WORKERS), "--query-timeout", str(DEADLINE)]
    running = start_server(tmp_path_factory.mktemp("load"), args)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def scenario(server: RunningServer) -> Scenario:
    mix = discover(server.url, saved_queries(ROOT / "queries"))
    assert mix.groups["ad-hoc SPARQL"], "the mix has no ad-hoc queries"
    return run_scenario(
        server, mix, connections=16, duration=10, warmup=2, workers=WORKERS, hostile=True
    )


def test_quiet_load_has_no_errors(scenario: Scenario):
    quiet = scenario.phase("quiet").result
    assert quiet.total().count > 0
    assert quiet.errors == 0, quiet.failure_summary()


def test_load_with_a_hostile_query_every_second_has_no_errors(scenario: Scenario):
    attacked = scenario.phase("hostile").result
    assert attacked.total(exclude=["hostile"]).count > 0
    assert attacked.by_kind["hostile"].count >= 5
    # Every request errs on nothing; each hostile query was stopped at its deadline (503).
    assert attacked.errors == 0, attacked.failure_summary()


def test_no_query_worker_is_lost_after_the_attack(scenario: Scenario, server: RunningServer):
    assert scenario.workers_after == WORKERS
    assert scenario.metrics["ipkg_queries_killed_total"] >= 5
    assert server.process.poll() is None


def test_load_beside_two_hundred_slow_clients_has_no_errors(scenario: Scenario):
    slowed = scenario.phase("slow clients").result
    assert slowed.total().count > 0
    assert slowed.errors == 0, slowed.failure_summary()
