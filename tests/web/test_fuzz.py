"""Property-based fuzzing of the live server: generated SPARQL (valid and broken), random
bytes and random parameter values never produce a 5xx (other than a query stopped at its
deadline), never take longer than the deadline plus one second, and never show a traceback."""

from __future__ import annotations

import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow  # fuzzing

DEADLINE = 2.0
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TERMS = st.sampled_from(
    ["?s", "?p", "?o", "<http://x/s1>", '"lit"', '"zh"@zh', "1", "2.5", "true", "[]", "_:b"]
)
PATTERNS = st.lists(st.tuples(TERMS, TERMS, TERMS), min_size=0, max_size=4).map(
    lambda triples: " . ".join(" ".join(t) for t in triples)
)
MODIFIERS = st.sampled_from(["", " LIMIT 5", " ORDER BY ?s", " OFFSET 1", " LIMIT -1", " GROUP BY"])
FORMS = st.sampled_from(["SELECT *", "SELECT ?s", "ASK", "CONSTRUCT", "DESCRIBE ?s", "SELEKT"])
QUERIES = st.one_of(
    st.builds(lambda f, p, m: f"{f} WHERE {{ {p} }}{m}", FORMS, PATTERNS, MODIFIERS),
    st.text(max_size=300),
    st.builds(
        lambda a, b: a + b,
        st.sampled_from(["SELECT * {", "ASK {", "PREFIX :"]),
        st.text(max_size=100),
    ),
)
PARAM_NAMES = st.sampled_from(["query", "format", "default-graph-uri", "named-graph-uri", "x"])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> RunningServer:
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "d.ttl").write_text(
        '<http://x/s1> <http://x/p> "lit", "zh"@zh, 1, 2.5 .\n'
        "<http://x/s2> <http://x/p> <http://x/s1> .\n"
    )
    running = start_server(tmp, ["--data", str(tmp / "d.ttl"), "--query-timeout", str(DEADLINE)])
    yield running
    running.stop()


def check(response: requests.Response, elapsed: float) -> None:
    assert elapsed < DEADLINE + 1.0
    assert "Traceback" not in response.text
    if response.status_code >= 500:
        assert response.status_code == 503, response.text
        assert "deadline" in response.text or "memory" in response.text, response.text


@FUZZ
@given(query=QUERIES)
def test_generated_queries_never_crash_the_endpoint(server, query):
    started = time.monotonic()
    response = requests.post(server.sparql, data={"query": query}, timeout=DEADLINE + 5)
    check(response, time.monotonic() - started)


@FUZZ
@given(
    body=st.binary(max_size=400),
    media=st.sampled_from(
        ["application/sparql-query", "application/x-www-form-urlencoded", "text/plain", ""]
    ),
)
def test_random_bytes_get_a_clear_4xx_or_an_answer(server, body, media):
    headers = {"Content-Type": media} if media else {}
    started = time.monotonic()
    response = requests.post(server.sparql, data=body, headers=headers, timeout=DEADLINE + 5)
    check(response, time.monotonic() - started)


@FUZZ
@given(params=st.lists(st.tuples(PARAM_NAMES, st.text(max_size=60)), max_size=5))
def test_random_parameters_never_crash_the_endpoint(server, params):
    started = time.monotonic()
    response = requests.get(server.sparql, params=params, timeout=DEADLINE + 5)
    check(response, time.monotonic() - started)
