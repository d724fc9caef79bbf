"""On a live server the outbound check refuses SERVICE and LOAD and nothing else: not under
concurrent load, not a 120-pattern query, not an RDF 1.2 query whose variable happens to hold
"load" (the spellings it refuses are tried with ``--network-namespace off`` and a listener in
test_safe_defaults). How the workers are isolated shows in /readyz, /metrics and the log."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from support.servers import RunningServer

SUBJECT = "<https://ipkg.example.org/id/field/ip-services-industry>"


def _query(server: RunningServer, text: str) -> requests.Response:
    return requests.post(server.sparql, data={"query": text}, timeout=60)


def outbound_spellings(url: str) -> tuple[list[str], list[str]]:
    """Queries and updates that the engine would send to ``url``, spelled to fool a check."""
    iri = f"<{url}/sparql>"
    prefixes = f"PREFIX s: <{url}/> PREFIX : <{url}/> PREFIX ex: <http://e/> "
    queries = [
        f"SELECT * WHERE {{ SERVICE {iri} {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent {iri} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICESILENT{iri}{{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE {iri} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE {iri} {{ ?s ?p ?o }} }} }} }}",
        prefixes + f"SELECT * WHERE {{ {{ ex:a\\# ?p ?o }} UNION {{ SERVICE {iri} {{}} }} }}",
        prefixes + f"SELECT * WHERE {{ {{ ex:a\\' ?p ?o }} UNION {{ SERVICE {iri} {{}} }} }}",
        f'SELECT * WHERE {{ BIND("a\\u0022 # " AS ?x) SERVICE {iri} {{ ?s ?p ?o }} }}',
        prefixes + "SELECT * WHERE { SERVICEs:x { ?s ?p ?o } }",
    ]  # fmt: skip
    updates = [
        f"LOAD {iri} INTO GRAPH <http://e/loaded>",
        f"load silent {iri}",
        prefixes + "LOADs:x",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE {iri} {{ ?s ?p ?o }} }}",
    ]
    return queries, updates


def test_queries_naming_service_or_load_otherwise_are_answered(article_server):
    patterns = " UNION ".join(f"{{ ?download <http://e/p{i}> ?o }}" for i in range(120))
    texts = [
        "SELECT * WHERE { ?s ?p 'download' }",
        f"SELECT ?download WHERE {{ {patterns} }}",
        "SELECT ?payload WHERE { BIND(<<( <http://a> <http://b> <http://c> )>> AS ?payload) }",
        f"SELECT ?p ?o WHERE {{ {SUBJECT} ?p ?o }} LIMIT 3",
        "PREFIX ex: <http://e/> SELECT * WHERE { ex:a\\#service ?p ?o }",
    ]
    for text in texts:
        answer = _query(article_server, text)
        assert answer.status_code == 200, (text, answer.text)
    sneaky = "PREFIX ex: <http://e/> SELECT * WHERE { ex:a\\# ?p ?o SERVICE <http://x/> {} }"
    assert _query(article_server, sneaky).status_code == 403


@pytest.mark.slow
def test_concurrent_clients_leave_the_service_and_load_words_answerable(article_server):
    time.sleep(8)  # the reported failure began once start-up had settled
    statuses: list[int] = []
    stop = time.monotonic() + 4

    def client(offset: int) -> None:
        with requests.Session() as session:
            n = offset
            while time.monotonic() < stop:
                n += 4
                text = f"SELECT ?p ?o WHERE {{ {SUBJECT} ?p ?o }} LIMIT {n}"
                answer = session.get(article_server.sparql, params={"query": text}, timeout=30)
                statuses.append(answer.status_code)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) > 20
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert _query(article_server, "SELECT * WHERE { ?s ?p 'download' }").status_code == 200


def test_isolation_shows_in_readyz_metrics_and_the_log(article_server):
    isolation = requests.get(article_server.url + "/readyz", timeout=30).json()["isolation"]
    assert isolation == {
        "network": "empty network namespace",
        "memory": "capped",
        "die_with_parent": "yes",
    }
    metrics = requests.get(article_server.url + "/metrics", timeout=30).text
    assert "ipkg_query_workers_network_isolated 1" in metrics
    assert "ipkg_query_workers_memory_capped 1" in metrics
    assert "query workers: {'network': 'empty network namespace'" in article_server.output()
