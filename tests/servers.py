"""Real ipkg servers for the tests: ``ipkg serve`` started as a subprocess on a free loopback
port, waited for until ``/readyz`` answers, and stopped (SIGTERM, then SIGKILL) afterwards."""

from __future__ import annotations

import os
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
    tmp: Path, args: Sequence[str] = (), env: dict[str, str] | None = None, timeout: float = 60
) -> RunningServer:
    """Starts ``ipkg serve`` with extra ``args``; returns once it is ready."""
    port = free_port()
    log = tmp / f"server-{port}.log"
    environment = {**os.environ, "IPKG_CACHE_DIR": str(tmp / "cache"), **(env or {})}
    command = [sys.executable, "-m", "ipkg", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, *args], stdout=out, stderr=subprocess.STDOUT, env=environment
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ipkg serve exited with {process.returncode}:\n{server.output()}")
        try:
            if requests.get(server.url + "/readyz", timeout=2).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"ipkg serve was not ready after {timeout} s:\n{server.output()}")
