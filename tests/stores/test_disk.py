"""The persistent store: built once and reused while its inputs are unchanged, its workers see
every committed write, an acknowledged write survives ``kill -9`` and an interrupted one
leaves no trace."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from ipkg.config import Settings
from ipkg.sparql.execution import QueryRequest
from ipkg.stores import DiskStore, opened_store
from support.servers import start_server

pytestmark = pytest.mark.slow  # builds RocksDB stores and kills servers mid-write

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


ORG_ONTOLOGY = """@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
ex:partOf a owl:TransitiveProperty .
ex:worksFor rdfs:subPropertyOf ex:memberOf ;
    owl:propertyChainAxiom ( ex:holds ex:postIn ) , ( ex:worksFor ex:partOf ) .
"""
ORG_DATA = """<http://example.org/ann> <http://example.org/holds> <http://example.org/post> .
<http://example.org/post> <http://example.org/postIn> <http://example.org/lab> .
<http://example.org/lab> <http://example.org/partOf> <http://example.org/school> .
<http://example.org/school> <http://example.org/partOf> <http://example.org/university> .
"""
INFERRED = "https://ipkg.example.org/graph/inferred"
MEMBER_OF_UNIVERSITY = """ASK { GRAPH <https://ipkg.example.org/graph/inferred> {
  <http://example.org/ann> <http://example.org/memberOf> <http://example.org/university> } }"""


@pytest.mark.parametrize("reasoner", ["reasonable", "owlrl"])
def test_ipkg_build_reasons_data_files_against_an_ontology_and_the_server_answers_from_it(
    tmp_path, reasoner
):
    (tmp_path / "org.ttl").write_text(ORG_ONTOLOGY)
    (tmp_path / "people.nt").write_text(ORG_DATA)
    args = [
        "--store",
        f"disk:{tmp_path / 'db'}",
        "--ontology",
        str(tmp_path / "org.ttl"),
        "--data",
        f"http://example.org/people={tmp_path / 'people.nt'}",
        "--reasoner",
        reasoner,
    ]
    built = subprocess.run(
        [sys.executable, "-m", "ipkg", "build", *args, "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert re.search(rf"{reasoner} derived \d+ new triples in [\d.]+ s", built.stderr)
    server = start_server(tmp_path, args)
    try:
        assert "reused (inputs unchanged)" in server.output()
        assert ask(server.url, MEMBER_OF_UNIVERSITY) is True
    finally:
        server.stop()


@pytest.mark.parametrize("missing", ["ontology", "data"])
def test_build_from_a_missing_file_names_it_in_one_line(tmp_path, missing):
    (tmp_path / "org.ttl").write_text(ORG_ONTOLOGY)
    (tmp_path / "people.nt").write_text(ORG_DATA)
    files = {"ontology": tmp_path / "org.ttl", "data": tmp_path / "people.nt"}
    files[missing] = tmp_path / f"no-{missing}.ttl"
    command = [sys.executable, "-m", "ipkg", "build", "--store", f"disk:{tmp_path / 'db'}"]
    built = subprocess.run(
        [*command, "--ontology", str(files["ontology"]), "--data", str(files["data"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 1
    assert built.stderr.strip() == f"ipkg: error: {files[missing]}: no such file"
    assert not (tmp_path / "db" / "oxigraph").exists()


def test_a_write_to_reasoned_data_files_derives_the_inferences_again(tmp_path):
    (tmp_path / "org.ttl").write_text(ORG_ONTOLOGY)
    (tmp_path / "people.nt").write_text(ORG_DATA)
    args = ["--store", f"disk:{tmp_path / 'db'}", "--ontology", str(tmp_path / "org.ttl")]
    args += ["--data", f"http://example.org/people={tmp_path / 'people.nt'}"]
    server = start_server(
        tmp_path, [*args, "--reasoner", "reasonable"], env={"IPKG_UPDATE_TOKEN": TOKEN}
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    in_system = MEMBER_OF_UNIVERSITY.replace("/university", "/system")
    try:
        assert ask(server.url, in_system) is False
        added = requests.post(
            server.url + "/sparql",
            data={
                "update": "INSERT DATA { GRAPH <http://example.org/people> { "
                "<http://example.org/university> <http://example.org/partOf> "
                "<http://example.org/system> } }"
            },
            headers=auth,
            timeout=60,
        )
        assert added.status_code == 204, added.text
        assert ask(server.url, in_system) is True
        forged = requests.post(
            server.url + "/sparql",
            data={"update": f"INSERT DATA {{ GRAPH <{INFERRED}> {{ <urn:a> <urn:b> <urn:c> }} }}"},
            headers=auth,
            timeout=60,
        )
        assert forged.status_code == 403, forged.text
        assert "inferences" in forged.text
        assert ask(server.url, f"ASK {{ GRAPH <{INFERRED}> {{ <urn:a> ?p ?o }} }}") is False
    finally:
        server.stop()


def ask(url: str, query: str) -> bool:
    answer = requests.get(url + "/sparql", params={"query": query}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


def test_a_store_built_for_one_public_base_is_rebuilt_for_another(tmp_path):
    cache = tmp_path.parent / "ipkg-cache"  # the session's shared reasoning cache
    for public in ("http://a.test/", "http://b.test/"):
        settings = Settings(store=f"disk:{tmp_path / 'store'}", public_base=public, cache_dir=cache)
        store, _title = opened_store(settings, settings.namespaces())
        graphs = set(store.graph_sizes())
        store.close()
        assert f"{public}graph/asserted" in graphs
        assert all(graph.startswith(public) for graph in graphs), graphs
