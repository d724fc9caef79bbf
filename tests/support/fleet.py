"""The deploy/ recipe run for real on 127.0.0.1: one primary that takes writes, read replicas
serving the snapshot ``deploy/publish.py`` keeps current, and HAProxy with the shipped
``deploy/haproxy.cfg`` in front. Used by the replica tests and ``bench/replicas.py``."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from support.servers import RunningServer, descendants, free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CONFIG = DEPLOY / "haproxy.cfg"
TOKEN = "fleet-write-token"


def haproxy_binary() -> str | None:
    """The HAProxy executable (Debian puts it in /usr/sbin, often not on PATH)."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


@dataclass
class Fleet:
    """A running primary, its replicas, the snapshot publisher and HAProxy."""

    tmp: Path
    primary: RunningServer
    replicas: list[RunningServer]
    replica_args: list[str]
    balancer: subprocess.Popen
    publisher: subprocess.Popen | None
    url: str
    snapshots: Path
    log: Path
    extra: list[subprocess.Popen] = field(default_factory=list)

    def kill_replica(self, index: int) -> None:
        """SIGKILL to the replica's whole process tree at once, as when its machine dies."""
        process = self.replicas[index].process
        for pid in [*descendants(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()

    def restart_replica(self, index: int) -> RunningServer:
        """Starts the replica again on its port; returns once it is ready."""
        port = int(self.replicas[index].url.rsplit(":", 1)[1])
        server = start_server(self.tmp, self.replica_args, port=port)
        self.replicas[index] = server
        return server

    def stop(self) -> None:
        for process in (self.balancer, self.publisher, *self.extra):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        with ThreadPoolExecutor(len(self.replicas) + 1) as pool:  # each waits for its drain
            list(pool.map(RunningServer.stop, [*self.replicas, self.primary]))


def start_balancer(
    tmp: Path,
    primary: str,
    replicas: list[str],
    *,
    port: int | None = None,
    client_queries: int = 1,
    rate: int = 600,
    cache: str | None = None,
    config: Path = CONFIG,
) -> tuple[subprocess.Popen, str]:
    """HAProxy with the shipped configuration in front of ``replicas`` (host:port each) and
    ``primary``, taking the client from the X-Forwarded-For of a ``cache`` address; returns once
    every replica is up behind it."""
    binary = haproxy_binary()
    if binary is None:
        raise RuntimeError("haproxy is not installed")
    port = port or free_port()
    env = {
        **os.environ,
        "IPKG_LB_BIND": f"127.0.0.1:{port}",
        "IPKG_PRIMARY": primary,
        "IPKG_LB_CLIENT_QUERIES": str(client_queries),
        "IPKG_LB_RATE": str(rate),
        **({"IPKG_LB_CACHE": cache} if cache else {}),
    }
    for number, address in enumerate(replicas, start=1):
        env[f"IPKG_REPLICA_{number}"] = address
    log = tmp / f"haproxy-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-W", "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    wait_for_replicas(url, len(set(replicas)), process, log)
    return process, url


def wait_for_replicas(url: str, count: int, process: subprocess.Popen, log: Path) -> None:
    """Waits until requests through the balancer have been answered by ``count`` replicas."""
    seen: set[str] = set()
    deadline = time.monotonic() + 30
    number = 0
    while time.monotonic() < deadline and len(seen) < count:
        if process.poll() is not None:
            raise RuntimeError(f"haproxy exited:\n{log.read_text(errors='replace')}")
        number += 1
        try:
            answer = requests.get(f"{url}/readyz?probe={number}", timeout=5)
            if answer.status_code == 200:
                seen.add(answer.headers.get("X-Served-By", ""))
        except requests.RequestException:
            pass
        time.sleep(0.05)
    if len(seen) < count:
        raise RuntimeError(f"only {sorted(seen)} answered behind haproxy")


def publisher_command(primary: str, snapshots: Path, *options: str) -> list[str]:
    """``deploy/publish.py`` keeping ``snapshots`` current with ``primary``."""
    script = str(DEPLOY / "publish.py")
    return [sys.executable, script, "--primary", primary, "--dir", str(snapshots), *options]


def publish_once(primary: str, snapshots: Path) -> None:
    subprocess.run(
        publisher_command(primary, snapshots, "--once"),
        check=True,
        capture_output=True,
        timeout=60,
    )


def start_fleet(
    tmp: Path,
    replicas: int = 2,
    *,
    replica_args: tuple[str, ...] = (),
    client_queries: int = 1,
    rate: int = 600,
    publish: bool = True,
) -> Fleet:
    """The whole recipe: the primary, one snapshot, the replicas (started together), the
    publisher keeping the snapshot current, HAProxy in front."""
    primary = start_server(tmp, ["--trusted-proxy", "127.0.0.1"], env={"IPKG_UPDATE_TOKEN": TOKEN})
    snapshots = tmp / "snapshots"
    publish_once(primary.url, snapshots)
    args = [
        "--data",
        str(snapshots / "current.nq"),
        "--watch",
        "--trusted-proxy",
        "127.0.0.1",
        *replica_args,
    ]
    with ThreadPoolExecutor(replicas) as pool:
        started = list(pool.map(lambda _: start_server(tmp, args), range(replicas)))
    publisher = None
    if publish:
        log = (tmp / "publisher.log").open("wb")
        publisher = subprocess.Popen(
            publisher_command(primary.url, snapshots, "--interval", "0.5"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    addresses = [server.url.removeprefix("http://") for server in started]
    balancer, url = start_balancer(
        tmp,
        primary.url.removeprefix("http://"),
        addresses,
        client_queries=client_queries,
        rate=rate,
    )
    return Fleet(
        tmp, primary, started, args, balancer, publisher, url, snapshots, tmp / "publisher.log"
    )
