"""The SPARQL services the suite runs against, all over HTTP on 127.0.0.1: ``ipkg serve`` on
each store (started once, data replaced between tests through its own Graph Store Protocol
and SPARQL Update, with the update token) and Oxigraph's own server for comparison."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from support.servers import RunningServer, free_port, start_server

TOKEN = "w3c-suite-token"
SPARQL_JSON = "application/sparql-results+json"


@dataclass
class Service:
    """A live SPARQL endpoint with its Graph Store, as the runner sees it."""

    name: str
    base: str  # http://127.0.0.1:PORT
    query_path: str
    update_path: str
    store_path: str
    headers: dict[str, str] = field(default_factory=dict)  # sent with every write
    session: requests.Session = field(default_factory=requests.Session)
    loaded: object = None  # the dataset now loaded (None: unknown)
    load_by_update: bool = False  # one SPARQL Update per dataset instead of Graph Store PUTs

    @property
    def query_url(self) -> str:
        return self.base + self.query_path

    def query(self, text: str, accept: str) -> requests.Response:
        return self.session.post(
            self.query_url,
            data=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-query", "Accept": accept},
            timeout=60,
        )

    def update(self, text: str) -> requests.Response:
        self.loaded = None
        return self.session.post(
            self.base + self.update_path,
            data=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update", **self.headers},
            timeout=60,
        )

    def put(self, graph: str | None, body: bytes, content_type: str, *, merge: bool = False):
        params = {"default": ""} if graph is None else {"graph": graph}
        response = self.session.request(
            "POST" if merge else "PUT",
            self.base + self.store_path,
            params=params,
            data=body,
            headers={"Content-Type": content_type, **self.headers},
            timeout=60,
        )
        if response.status_code >= 300:
            raise LoadFailed(
                f"{response.status_code} loading {graph or 'the default graph'}: "
                f"{response.text[:300]}"
            )

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None):
        self.loaded = None
        return self.session.request(
            method,
            self.base + path,
            data=body,
            headers={**headers, **self.headers},
            timeout=60,
            allow_redirects=False,
        )


class LoadFailed(Exception):
    """The service refused a test's data."""


@dataclass
class Running:
    """A started service and how to stop it."""

    service: Service
    server: RunningServer | None = None
    process: subprocess.Popen | None = None

    def stop(self) -> None:
        self.service.session.close()
        if self.server is not None:
            self.server.stop()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


def ipkg(tmp: Path, store: str = "memory", extra: Sequence[str] = (), name: str = "") -> Running:
    """``ipkg serve`` on an empty dataset whose default graph is its own (the SPARQL dataset),
    writes enabled by a token."""
    empty = tmp / "empty.nt"
    empty.write_text("")
    args = [
        "--data",
        str(empty),
        "--allow-empty-data",
        "--reasoner",
        "none",
        "--default-graph",
        "separate",
        "--store",
        store,
        "--query-workers",
        "1",
        *extra,
    ]
    server = start_server(tmp, args, env={"IPKG_UPDATE_TOKEN": TOKEN})
    kind = store.split(":", 1)[0]
    service = Service(
        name or kind,
        server.url,
        "/sparql",
        "/sparql",
        "/store",
        headers={"Authorization": f"Bearer {TOKEN}"},
        load_by_update=kind != "memory",  # a disk or remote write costs 100s of ms
    )
    return Running(service, server=server)


def oxigraph_binary() -> str | None:
    """Oxigraph's server (PyPI ``oxigraph``), next to this Python or on the PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def oxigraph(tmp: Path) -> Running:
    """``oxigraph serve`` in memory on a free port."""
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError("oxigraph is not installed (pip install oxigraph)")
    port = free_port()
    log = (tmp / "oxigraph.log").open("wb")
    process = subprocess.Popen(
        [binary, "serve", "--bind", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    service = Service("oxigraph", f"http://127.0.0.1:{port}", "/query", "/update", "/store")
    return Running(service, process=process)
