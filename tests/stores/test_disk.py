"""The persistent store: built once and reused while its inputs are unchanged, its workers see
every committed write, an acknowledged write survives ``kill -9`` and an interrupted one
leaves no trace."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from ipkg.execution import QueryRequest
from ipkg.stores import DiskStore
from servers import start_server

G = "http://example.org/g"
TESTS = Path(__file__).resolve().parent.parent
W3C_DATA = ["--data", f"http://example.org/data1={TESTS / 'w3c' / 'data1.nt'}"]
TOKEN = "disk-test-token"


def quads(n: int, graph: str = G) -> list[ox.Quad]:
    return [
        ox.Quad(
            ox.NamedNode(f"http://example.org/s{i}"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal(str(i)),
            ox.NamedNode(graph),
        )
        for i in range(n)
    ]


def never_called():
    raise AssertionError("the store was rebuilt from its inputs")


COUNT = """
import sys
import pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
print(len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(sys.argv[2])))))
"""


def count_in(path: Path, graph: str = G) -> int:
    """Quads in one graph, read by another process: a process that opened RocksDB must not
    fork query workers afterwards (its background threads would be missing in the children)."""
    done = subprocess.run(
        [sys.executable, "-c", COUNT, str(path / "oxigraph"), graph],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_store_is_built_once_and_reused_while_its_input_hash_matches(tmp_path):
    built = DiskStore.opened(tmp_path, "inputs-1", lambda: quads(30))
    assert built.graph_sizes() == {G: 30}
    reused = DiskStore.opened(tmp_path, "inputs-1", never_called)
    assert reused.graph_sizes() == {G: 30}
    assert reused.union_size() == 30


def test_changed_inputs_rebuild_the_store(tmp_path):
    DiskStore.opened(tmp_path, "inputs-1", lambda: quads(30))
    rebuilt = DiskStore.opened(tmp_path, "inputs-2", lambda: quads(5))
    assert rebuilt.graph_sizes() == {G: 5}
    assert count_in(tmp_path) == 5


def test_workers_open_the_store_read_only_and_see_each_committed_write(tmp_path):
    store = DiskStore.opened(tmp_path, "k", lambda: quads(10))
    store.start(workers=2, memory_mb=512)
    try:
        ask = QueryRequest("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "csv")
        assert store.query(ask, 5).body == b"n\r\n10\r\n"
        store.replace_graphs({G: quads(40)})
        assert {store.query(ask, 5).body for _ in range(5)} == {b"n\r\n40\r\n"}
        store.apply_update(f"DROP GRAPH <{G}>")
        assert store.query(ask, 5).body == b"n\r\n0\r\n"
        assert store.graph_sizes() == {}
    finally:
        store.close()


WRITER = """
import sys
import pyoxigraph as ox
from ipkg.stores import DiskStore
store = DiskStore.opened(sys.argv[1], "k", lambda: [])
new = [ox.Quad(ox.NamedNode(f"http://example.org/n{i}"), ox.NamedNode("http://example.org/p"),
       ox.Literal("x" * 40), ox.NamedNode("http://example.org/g")) for i in range(int(sys.argv[2]))]
print("writing", flush=True)
store.replace_graphs({"http://example.org/g": new})
print("done", flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3, 0.6])
def test_write_killed_half_way_leaves_the_old_data_or_the_new_never_a_mix(tmp_path, delay):
    DiskStore.opened(tmp_path, "k", lambda: quads(100))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "60000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout.readline().strip() == "writing"
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    recovered = DiskStore.opened(tmp_path, "k", never_called)
    assert count_in(tmp_path) in (100, 60_000)
    assert recovered.graph_sizes() == {G: count_in(tmp_path)}


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant (read from /proc), children first."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children += (task / "children").read_text().split()
    for child in children:
        kill_tree(int(child))
    os.kill(pid, signal.SIGKILL)


def select_count(url: str) -> int:
    response = requests.post(
        url + "/sparql",
        data={"query": "SELECT (COUNT(*) AS ?n) { GRAPH <http://example.org/new> { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_server_start_on_an_existing_store_reuses_it(tmp_path):
    args = ["--store", f"disk:{tmp_path / 'db'}", *W3C_DATA]
    first = start_server(tmp_path, args)
    first.stop()
    second = start_server(tmp_path, args)
    try:
        assert "reused (inputs unchanged)" in second.output()
        assert "building from the inputs" not in second.output()
    finally:
        second.stop()


def test_acknowledged_write_survives_kill_9_of_the_server(tmp_path):
    args = ["--store", f"disk:{tmp_path / 'db'}", *W3C_DATA]
    server = start_server(tmp_path, args, env={"IPKG_UPDATE_TOKEN": TOKEN})
    try:
        response = requests.post(
            server.url + "/sparql",
            data={"update": "INSERT DATA { GRAPH <http://example.org/new> { <urn:a> <urn:b> 1 } }"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
        )
        assert response.status_code == 204, response.text
        assert select_count(server.url) == 1
    finally:
        kill_tree(server.process.pid)
        server.process.wait()
    restarted = start_server(tmp_path, args)
    try:
        assert select_count(restarted.url) == 1
        described = requests.get(restarted.url + "/readyz", timeout=10).json()
        assert described["graphs"] == 2
    finally:
        restarted.stop()


def test_meta_file_records_the_input_hash_and_sizes(tmp_path):
    DiskStore.opened(tmp_path, "abc", lambda: quads(3))
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["input"] == "abc" and meta["sizes"] == {G: 3} and meta["clean"] is True
