"""The deploy/ recipe for real: HAProxy (deploy/haproxy.cfg) in front of two ``ipkg serve``
replicas and a primary on 127.0.0.1. An innocent client sees no error while a replica is
killed and started again, or while a new data version rolls out; a write through the primary
reaches every replica within the bound docs/scaling.md promises; one address holds no more
than its share of queries across both replicas."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests
from requests.adapters import HTTPAdapter

from support.fleet import TOKEN, Fleet, haproxy_binary, start_fleet

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(haproxy_binary() is None, reason="haproxy is not installed"),
]

VISIBILITY_BOUND = 15.0  # seconds; docs/scaling.md states it
HUB = "SELECT ?hub WHERE { ?hub a <https://ipkg.example.org/ontology#Hub> } ORDER BY ?hub LIMIT "
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
INNOCENT_PATHS = [
    *(f"/sparql?query={quote(HUB + str(n))}" for n in range(1, 9)),
    "/api/queries/talent-growth.csv",
    "/doc/cnipa",
    "/.well-known/void",
]


class FromAddress(HTTPAdapter):
    """Connections from a given loopback address (HAProxy counts clients by address)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


# Well-behaved means within the balancer's rate (600 requests per 10 s per address): at most
# about 30 a second, whatever the speed of the replicas.
INNOCENT_PAUSE = 1 / 30


class InnocentClient:
    """One well-behaved reader in a loop through the balancer, noting every failure."""

    def __init__(self, url: str, address: str = "127.0.0.2") -> None:
        self.url = url
        self.session = session_from(address)
        self.errors: list[str] = []
        self.served = Counter()
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        number = 0
        while not self._stop.wait(INNOCENT_PAUSE):
            path = INNOCENT_PATHS[number % len(INNOCENT_PATHS)]
            number += 1
            try:
                answer = self.session.get(self.url + path, timeout=30)
                if answer.status_code != 200:
                    self.errors.append(f"{path}: {answer.status_code} {answer.text[:100]}")
                self.served[answer.headers.get("X-Served-By", "?")] += 1
            except requests.RequestException as exc:
                self.errors.append(f"{path}: {exc}")
            self.count += 1

    def wait_for(self, more: int, timeout: float = 30) -> None:
        """Returns once ``more`` further requests have been answered."""
        target, deadline = self.count + more, time.monotonic() + timeout
        while self.count < target and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.count >= target, f"the client loop stalled at {self.count} requests"

    def __enter__(self) -> InnocentClient:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    running = start_fleet(tmp_path_factory.mktemp("fleet"), replica_args=("--query-timeout", "3"))
    yield running
    running.stop()


def test_an_innocent_client_sees_no_error_while_a_replica_is_killed_and_restarted(
    fleet: Fleet,
) -> None:
    with InnocentClient(fleet.url) as client:
        client.wait_for(30)
        fleet.kill_replica(0)
        client.wait_for(30)  # served by the other replica meanwhile
        fleet.restart_replica(0)
        before = Counter(client.served)
        client.wait_for(60)
    assert client.errors == []
    assert client.served["replica1"] > before["replica1"]  # back in rotation
    assert client.served["replica2"] > 0


def ask_each(fleet: Fleet, query: str) -> list[bool]:
    answers = [
        requests.get(
            replica.sparql,
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
        for replica in fleet.replicas
    ]
    return [a.status_code == 200 and a.json()["boolean"] for a in answers]


def test_a_write_through_the_primary_reaches_every_replica_in_bound_with_no_reader_error(
    fleet: Fleet,
) -> None:
    marker = f"urn:fleet:written-{time.time_ns()}"
    query = f"ASK {{ <{marker}> ?p ?o }}"
    assert ask_each(fleet, query) == [False, False]
    with InnocentClient(fleet.url) as client:
        client.wait_for(20)
        written = requests.post(
            fleet.url + "/sparql",
            data={"update": f"INSERT DATA {{ <{marker}> <urn:fleet:p> 'new version' }}"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=150,  # a write is validated whole: slow on a busy machine
        )
        assert written.status_code == 204, written.text
        assert written.headers["X-Served-By"] == "primary"
        started, seen = time.monotonic(), []
        while time.monotonic() - started < VISIBILITY_BOUND + 5:
            seen = ask_each(fleet, query)
            if all(seen):
                break
            time.sleep(0.2)
        visible_after = time.monotonic() - started
        client.wait_for(20)  # readers go on after the new version is in
    assert all(seen), f"not on every replica after {visible_after:.1f} s: {seen}"
    assert visible_after <= VISIBILITY_BOUND
    assert client.errors == []


def test_one_address_cannot_hold_more_than_its_share_across_both_replicas(
    fleet: Fleet,
) -> None:
    slow = {"query": CARTESIAN}
    hog = session_from("127.0.0.3")
    # Alone, each replica lets the address run one query: both start, one on each replica.
    with ThreadPoolExecutor(2) as pool:
        direct = list(
            pool.map(lambda r: requests.post(r.sparql, data=slow, timeout=30), fleet.replicas)
        )
    assert [a.status_code for a in direct] == [503, 503]  # ran to the 3 s deadline
    # Through HAProxy, the second query from the same address is refused while the first runs,
    # whichever replica it would go to; another address still gets its answer.
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(hog.post, fleet.url + "/sparql", data=slow, timeout=30)
        time.sleep(0.5)
        second = pool.submit(hog.post, fleet.url + "/sparql", data=slow, timeout=30)
        other = session_from("127.0.0.4").get(fleet.url + INNOCENT_PATHS[0], timeout=30)
        assert second.result().status_code == 429
        assert second.result().headers["Retry-After"] == "1"
        assert "share" in second.result().text
        assert first.result().status_code == 503
    assert other.status_code == 200
