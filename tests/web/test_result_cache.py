"""The /sparql result cache on a live server: a repeated query is answered from it (counted in
/metrics), a write empties it and the next answer shows the write, a query stopped at its
deadline or refused by a cap is never kept, the byte bound holds, and a flag turns it off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from support.servers import RunningServer, descendants, start_server

pytestmark = pytest.mark.slow

EX = "http://example.org/"
CACHE_BYTES = 20_000
MAX_ROWS = 30
DEADLINE = 1.0
JSON = {"Accept": "application/sparql-results+json"}
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"


def metric(server: RunningServer, name: str) -> float:
    text = requests.get(server.url + "/metrics", timeout=10).text
    return float(re.search(rf"^{name} (\S+)$", text, re.MULTILINE).group(1))


def sparql_requests(server: RunningServer) -> float:
    text = requests.get(server.url + "/metrics", timeout=10).text
    found = re.findall(
        r'^ipkg_http_requests_total\{method="GET",route="/sparql",status="200"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found[0]) if found else 0.0


def ask(server: RunningServer, query: str) -> requests.Response:
    return requests.get(server.sparql, params={"query": query}, headers=JSON, timeout=30)


def write_data(folder: Path) -> Path:
    path = folder / "data.nt"
    lines = [f'<{EX}s{i}> <{EX}label> "item number {i} {"x" * 40}" .' for i in range(40)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("result-cache")
    args = [
        "--data", str(write_data(folder)),
        "--result-cache-bytes", str(CACHE_BYTES),
        "--query-timeout", str(DEADLINE),
        "--max-rows", str(MAX_ROWS),
    ]  # fmt: skip
    running = start_server(folder, args)
    yield running
    running.stop()


def test_a_repeated_query_is_answered_from_the_cache_and_counted(server):
    query = f"SELECT ?o WHERE {{ <{EX}s1> <{EX}label> ?o }}"
    hits = metric(server, "ipkg_result_cache_hits_total")
    first, second = ask(server, query), ask(server, query)
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Result-Cache"] == "miss"
    assert second.headers["X-Result-Cache"] == "hit"
    assert second.content == first.content
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert second.headers["Access-Control-Allow-Origin"] == "*"  # same headers as a miss
    assert metric(server, "ipkg_result_cache_hits_total") == hits + 1
    assert metric(server, "ipkg_result_cache_bytes") > len(first.content)


def test_a_hit_is_sent_with_every_header_of_the_first_answer_and_counted_as_a_request(server):
    query = f"SELECT ?o WHERE {{ <{EX}s4> <{EX}label> ?o }}"
    first = ask(server, query)
    requests_before = sparql_requests(server)
    second = ask(server, query)
    assert second.headers["X-Result-Cache"] == "hit"
    for name, value in first.headers.items():
        if name not in ("Date", "X-Result-Cache"):
            assert second.headers.get(name) == value, name
    assert "Content-Security-Policy" in second.headers
    assert sparql_requests(server) == requests_before + 1


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"),
        ("application/sparql-query", "ASK { ?s ?p <http://example.org/nothing> }"),
    ],
    ids=["form", "direct"],
)
def test_a_repeated_post_is_a_hit_and_its_body_still_reaches_the_app_on_a_miss(
    server, content_type, body
):
    answers = [
        requests.post(
            server.sparql,
            data=body.encode(),
            headers={"Content-Type": content_type, **JSON},
            timeout=30,
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert [a.headers["X-Result-Cache"] for a in answers] == ["miss", "hit"]
    assert answers[0].json() == answers[1].json()


def test_the_same_text_in_another_format_is_a_separate_answer(server):
    query = f"SELECT ?o WHERE {{ <{EX}s2> <{EX}label> ?o }}"
    as_json = ask(server, query)
    as_csv = requests.get(
        server.sparql, params={"query": query}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert as_json.headers["Content-Type"].startswith("application/sparql-results+json")
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert as_csv.headers["X-Result-Cache"] == "miss"
    assert as_csv.text.splitlines()[1].startswith("item number 2")


def test_a_query_stopped_at_its_deadline_is_never_cached(server):
    entries = metric(server, "ipkg_result_cache_entries")
    for _ in range(2):
        response = ask(server, CARTESIAN)
        assert response.status_code == 503
        assert "deadline" in response.text
        assert response.headers["X-Result-Cache"] == "miss"
    assert metric(server, "ipkg_result_cache_entries") == entries


def test_a_result_refused_by_the_row_cap_or_an_error_is_never_cached(server):
    entries = metric(server, "ipkg_result_cache_entries")
    for query, reason in (
        ("SELECT * WHERE { ?s ?p ?o }", f"more than {MAX_ROWS} rows"),
        ("SELECT * WHERE { ?s ?p }", "syntax error"),
    ):
        responses = [ask(server, query) for _ in range(2)]
        assert [r.status_code for r in responses] == [400, 400]
        assert [r.headers["X-Result-Cache"] for r in responses] == ["miss", "miss"]
        assert reason in responses[1].text
    assert metric(server, "ipkg_result_cache_entries") == entries


def test_the_cache_stays_within_its_byte_bound(server):
    for i in range(40):  # about 40 x 1.2 kB charged: twice the bound
        query = f"SELECT ?o WHERE {{ <{EX}s{i}> <{EX}label> ?o }} LIMIT {i + 1}"
        assert ask(server, query).status_code == 200
    assert metric(server, "ipkg_result_cache_bytes") <= CACHE_BYTES
    assert metric(server, "ipkg_result_cache_evictions_total") > 0
    newest = f"SELECT ?o WHERE {{ <{EX}s39> <{EX}label> ?o }} LIMIT 40"
    assert ask(server, newest).headers["X-Result-Cache"] == "hit"  # recent answers stay
    oldest = f"SELECT ?o WHERE {{ <{EX}s0> <{EX}label> ?o }} LIMIT 1"
    assert ask(server, oldest).headers["X-Result-Cache"] == "miss"  # the oldest went first


def test_a_write_empties_the_cache_and_the_next_answer_shows_it(
    w3c_update_server: RunningServer, w3c_update_token: str
):
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:cache-test> { ?s ?p ?o } }"
    before = ask(w3c_update_server, query)
    assert ask(w3c_update_server, query).headers["X-Result-Cache"] == "hit"
    assert before.json()["results"]["bindings"][0]["n"]["value"] == "0"
    update = requests.post(
        w3c_update_server.sparql,
        data={"update": "INSERT DATA { GRAPH <urn:cache-test> { <urn:a> <urn:b> <urn:c> } }"},
        headers={"Authorization": f"Bearer {w3c_update_token}"},
        timeout=30,
    )
    assert update.status_code == 204, update.text
    assert metric(w3c_update_server, "ipkg_result_cache_entries") == 0
    after = ask(w3c_update_server, query)
    assert after.headers["X-Result-Cache"] == "miss"
    assert after.json()["results"]["bindings"][0]["n"]["value"] == "1"
    assert metric(w3c_update_server, "ipkg_result_cache_entries") == 1


def test_result_cache_bytes_0_turns_the_cache_off(tmp_path: Path):
    running = start_server(
        tmp_path, ["--data", str(write_data(tmp_path)), "--result-cache-bytes", "0"]
    )
    try:
        query = f"SELECT ?o WHERE {{ <{EX}s3> <{EX}label> ?o }}"
        answers = [ask(running, query) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert {a.headers["X-Result-Cache"] for a in answers} == {"off"}
        assert metric(running, "ipkg_result_cache_hits_total") == 0
        assert metric(running, "ipkg_result_cache_bytes") == 0
    finally:
        running.stop()


def test_cached_answers_still_obey_the_rate_limit(tmp_path: Path):
    args = ["--data", str(write_data(tmp_path)), "--rate-limit", "0.5", "--rate-burst", "2"]
    running = start_server(tmp_path, args)
    try:
        query = f"SELECT ?o WHERE {{ <{EX}s5> <{EX}label> ?o }}"
        statuses = [ask(running, query).status_code for _ in range(4)]
        assert statuses[:2] == [200, 200]
        assert statuses[2:] == [429, 429]  # the second answer was cached; the limit still holds
        assert metric(running, "ipkg_result_cache_hits_total") == 1
    finally:
        running.stop()


def test_an_invalid_query_is_not_answered_from_the_cache_of_a_valid_one(server):
    valid = f"SELECT ?o WHERE {{ <{EX}s2> <{EX}label> ?o }}"
    assert ask(server, valid).status_code == 200
    assert ask(server, valid).headers["X-Result-Cache"] == "hit"
    invalid = ask(server, "\u3000" + valid)  # the engine refuses a leading U+3000
    assert invalid.status_code == 400, invalid.text
    assert ask(server, valid + "\n").headers["X-Result-Cache"] == "miss"  # its own text


def _threads_and_rss(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) * 1024


def http_process_rss(server: RunningServer) -> int:
    """RSS of the server's request-handling process (the one with many threads)."""
    measured = [
        _threads_and_rss(pid) for pid in [server.process.pid, *descendants(server.process.pid)]
    ]
    return max(measured)[1]


def test_astral_query_texts_keep_the_process_within_the_cache_budget(tmp_path: Path):
    budget = 4 * 1_048_576
    folder = tmp_path / "astral"
    folder.mkdir()
    args = ["--data", str(write_data(folder)), "--result-cache-bytes", str(budget)]
    # Blocks over 64 kB mapped on their own and unmapped when freed: RSS then shows what is
    # held, not what glibc keeps for later.
    running = start_server(folder, args, env={"MALLOC_MMAP_THRESHOLD_": "65536"})
    try:
        query = f"SELECT ?o WHERE {{ <{EX}s1> <{EX}label> ?o }} # "
        padding = 19_000 - len(query)
        with requests.Session() as session:
            for i in range(5):  # warm up: the first answers allocate what every answer needs
                session.post(running.sparql, data={"query": query + str(i)}, timeout=30)
            before = http_process_rss(running)
            for i in range(200):
                text = query + f"{i:04d}" + chr(0x1D400 + i % 500) * padding
                answer = session.post(running.sparql, data={"query": text}, timeout=30)
                assert answer.status_code == 200, answer.text
        grown = http_process_rss(running) - before
        held = metric(running, "ipkg_result_cache_bytes")
    finally:
        running.stop()
    assert held <= budget
    print(f"astral run: the HTTP process grew {grown / 1_048_576:.1f} MiB")
    assert grown < 2 * budget + 4 * 1_048_576, f"grew {grown / 1_048_576:.0f} MiB"
