"""Reloads that lose nothing (issue 20, point 6): on the disk store a SIGHUP under a stream of
writes leaves every acknowledged write visible and never answers a write with a 4xx; on the
memory store a write made over HTTP survives a SIGHUP."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from support.servers import RunningServer, start_server

pytestmark = pytest.mark.slow

TOKEN = "reload-token"
BEARER = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/n-triples"}
GRAPH = "http://x/written"


def write_data(folder: Path) -> Path:
    data = folder / "d.nt"
    data.write_text("".join(f"<http://x/s{n}> <http://x/p> <http://x/o{n}> .\n" for n in range(20)))
    return data


def written(server: RunningServer) -> set[int]:
    query = f"SELECT ?n {{ GRAPH <{GRAPH}> {{ ?s <http://x/n> ?n }} }}"
    answer = requests.get(server.sparql, params={"query": query, "format": "json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {int(row["n"]["value"]) for row in answer.json()["results"]["bindings"]}


def add(server: RunningServer, n: int) -> int:
    triple = f'<http://x/w{n}> <http://x/n> "{n}" .\n'
    answer = requests.post(
        server.url + "/store", params={"graph": GRAPH}, data=triple, headers=BEARER, timeout=60
    )
    return answer.status_code


def wait_for_log(server: RunningServer, text: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while server.output().count(text) < count:
        assert time.monotonic() < deadline, server.output()[-3000:]
        time.sleep(0.1)


def test_disk_store_reload_under_writes_keeps_every_acknowledged_write(tmp_path):
    data = write_data(tmp_path)
    args = ["--data", str(data), "--store", f"disk:{tmp_path / 'store'}"]
    server = start_server(tmp_path, args, env={"IPKG_UPDATE_TOKEN": TOKEN})
    acknowledged: list[int] = []
    statuses: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            status = add(server, n)
            statuses.append(status)
            if status in (200, 201, 204):
                acknowledged.append(n)
            n += 1

    stream = threading.Thread(target=writer)
    try:
        stream.start()
        for reloads in (1, 2):
            time.sleep(1.0)
            os.kill(server.process.pid, signal.SIGHUP)
            wait_for_log(server, "reload: new data loaded", reloads)
        time.sleep(0.5)
        stop.set()
        stream.join()
        assert len(acknowledged) >= 3
        assert not [s for s in statuses if 400 <= s < 500], statuses
        assert set(acknowledged) <= written(server)
        assert "LOCK" not in server.output()
    finally:
        stop.set()
        server.stop()


def test_memory_store_reload_replays_the_writes_made_over_http(tmp_path):
    data = write_data(tmp_path)
    server = start_server(tmp_path, ["--data", str(data)], env={"IPKG_UPDATE_TOKEN": TOKEN})
    try:
        assert add(server, 7) in (201, 204)
        assert written(server) == {7}
        os.kill(server.process.pid, signal.SIGHUP)
        wait_for_log(server, "reload: new data loaded", 1)
        assert written(server) == {7}
        assert "carried over" in server.output()
    finally:
        server.stop()
