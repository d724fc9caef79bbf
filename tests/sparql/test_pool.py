"""Query workers stop a query at its deadline, bound its memory, cut it off from the network,
and are replaced so the pool keeps answering."""

import os
import signal
import threading
import time

import pyoxigraph as ox
import pytest

from ipkg.errors import ErrorKind
from ipkg.sparql.execution import QueryRequest
from ipkg.sparql.pool import WorkerPool
from support.servers import descendants

CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
DOUBLING = " ".join(
    ['SELECT ?n { BIND("aaaaaaaa" AS ?a0)']
    + [f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(30)]
    + ["BIND(STRLEN(?a30) AS ?n) }"]
)


@pytest.fixture(scope="module")
def pool():
    store = ox.Store()
    store.extend(
        ox.Quad(ox.NamedNode(f"http://x/{i}"), ox.NamedNode("http://x/p"), ox.Literal(str(i)))
        for i in range(300)
    )
    workers = WorkerPool(store, size=2, memory_mb=256)
    yield workers
    workers.close()


def ask(pool: WorkerPool) -> bool:
    """Whether a worker answers a trivial query."""
    return pool.run(QueryRequest("ASK { ?s ?p ?o }", "json"), timeout=5).ok


def test_query_is_answered_by_a_worker(pool):
    outcome = pool.run(QueryRequest("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "csv"), timeout=5)
    assert outcome.ok
    assert outcome.body == b"n\r\n300\r\n"


def test_query_past_its_deadline_is_stopped_and_the_worker_replaced(pool):
    started = time.monotonic()
    outcome = pool.run(QueryRequest(CARTESIAN, "json"), timeout=1.0)
    assert outcome.failure is ErrorKind.TIMEOUT
    assert b"deadline" in outcome.body
    assert time.monotonic() - started < 2.0
    assert ask(pool)
    assert pool.stats.killed_at_deadline >= 1


def test_query_past_its_memory_allowance_ends_over_memory_a_deterministic_failure(pool):
    outcome = pool.run(QueryRequest(DOUBLING, "json"), timeout=60)
    assert outcome.failure is ErrorKind.OVER_MEMORY
    assert b"memory" in outcome.body
    assert ask(pool)


def test_workers_run_without_network_and_memory_limit_in_place(pool):
    assert pool.isolation == {"die_with_parent": True, "no_network": True, "memory_limit": True}


def test_syntax_error_is_a_bad_request_naming_the_position(pool):
    outcome = pool.run(QueryRequest("SELECT * { ?s ?p }", "json"), timeout=5)
    assert outcome.failure is ErrorKind.BAD_REQUEST
    assert b"at line 1, column " in outcome.body


def test_answer_larger_than_one_read_arrives_whole(pool):
    # 300 rows of TSV padded past the socket's buffer: the answer comes in many reads.
    text = 'SELECT ?s (CONCAT(STR(?o), "' + "x" * 2000 + '") AS ?pad) { ?s ?p ?o }'
    outcome = pool.run(QueryRequest(text, "tsv"), timeout=5)
    assert outcome.ok
    assert outcome.rows == 300
    assert len(outcome.body) > 600_000
    assert outcome.body.count(b"\n") == 301


def test_workers_killed_mid_query_end_it_with_an_error_and_are_replaced(pool):
    done: list = []
    runner = threading.Thread(
        target=lambda: done.append(pool.run(QueryRequest(CARTESIAN, "json"), timeout=30))
    )
    runner.start()
    time.sleep(0.5)  # the query is running in one worker, the other is idle
    workers = [pid for pid, depth in descendants(pool.zygote_pid).items() if depth == 1]
    assert len(workers) == 2
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    runner.join(10)
    assert done and not done[0].ok and b"worker ended" in done[0].body
    assert ask(pool) and ask(pool)  # the idle one is found dead when used, and replaced
