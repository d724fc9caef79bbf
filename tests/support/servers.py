"""Real ipkg servers for the tests: ``ipkg serve`` started as a subprocess on a free loopback
port, waited for until ``/readyz`` answers, and stopped (SIGTERM, then SIGKILL) afterwards."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """A live ``ipkg serve`` process and its URL."""

    process: subprocess.Popen
    url: str
    log: Path

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    tmp: Path,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 300,
    port: int | None = None,
    host: str = "127.0.0.1",
) -> RunningServer:
    """Starts ``ipkg serve`` with extra ``args`` on ``port`` (default: a free one, so a test
    that must name the port in its args takes :func:`free_port` first); returns once ready."""
    port = port or free_port()
    log = tmp / f"server-{port}.log"
    # One inference/validation cache for every server of the test session (tmp's parent is the
    # session's base temp dir): it is keyed by the inputs' hash, so sharing it is safe, and only
    # the first server pays for SHACL validation and OWL-RL reasoning.
    cache = tmp.parent / "ipkg-cache"
    environment = {**os.environ, "IPKG_CACHE_DIR": str(cache), **(env or {})}
    command = [sys.executable, "-m", "ipkg", "serve", "--host", host, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, *args], stdout=out, stderr=subprocess.STDOUT, env=environment
        )
    bare = host.strip("[]")
    server = RunningServer(process, f"http://{f'[{bare}]' if ':' in bare else bare}:{port}", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ipkg serve exited with {process.returncode}:\n{server.output()}")
        try:
            if requests.get(server.url + "/readyz", timeout=2).status_code == 200:
                return server
        except (requests.ConnectionError, requests.Timeout):  # still starting
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"ipkg serve was not ready after {timeout} s:\n{server.output()}")


def listed_dumps(server: RunningServer) -> dict[str, set[str]]:
    """The dumps a server's /export/ page links to: the extensions offered per graph."""
    html = requests.get(server.url + "/export/", timeout=30).text
    dumps: dict[str, set[str]] = {}
    for graph, extension in re.findall(r'href="[^"]*/export/([\w-]+)\.(\w+)"', html):
        dumps.setdefault(graph, set()).add(extension)
    return dumps


def descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid`` with its depth (1: child, 2: grandchild, …)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found: dict[int, int] = {}
    frontier = [(pid, 0)]
    while frontier:
        current, depth = frontier.pop()
        for child in children.get(current, []):
            found[child] = depth + 1
            frontier.append((child, depth + 1))
    return found
