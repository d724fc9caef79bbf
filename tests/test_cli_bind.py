"""``ipkg serve`` on an address it cannot listen on says why in one line (privileged port,
address in use, not this machine's address) and exits non-zero at once, before loading data."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def serve(*args: str, unprivileged: bool = False) -> subprocess.CompletedProcess:
    """``ipkg serve`` with ``args``; ``unprivileged`` first takes away the one privilege that
    binds ports below 1024 (util-linux's setpriv drops CAP_NET_BIND_SERVICE), as a person
    without privileges would run it. Dropping the capability, not the user, keeps the
    interpreter and the checkout readable wherever CI clones it."""
    drop = [
        "setpriv",
        "--bounding-set=-net_bind_service",
        "--inh-caps=-net_bind_service",
    ]
    return subprocess.run(
        [*(drop if unprivileged else []), sys.executable, "-m", "ipkg", "serve", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
        check=False,
    )


def test_a_port_in_use_is_one_line_naming_the_cause():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve("--host", "127.0.0.1", "--port", str(port))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"ipkg: error: cannot listen on 127.0.0.1:{port}: the address is already in use "
        "(another ipkg serve or another server is listening there); stop it or choose another "
        "--port"
    ]


def test_a_privileged_port_without_privileges_says_ports_below_1024_need_them():
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv to drop the privileges")
    done = serve("--host", "127.0.0.1", "--port", "80", unprivileged=os.geteuid() == 0)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    (line,) = lines
    assert line.startswith("ipkg: error: cannot listen on 127.0.0.1:80: ports below 1024 need ")


def test_an_address_of_another_machine_is_named():
    done = serve("--host", "192.0.2.1", "--port", "8000")  # TEST-NET-1: never this machine's
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "ipkg: error: cannot listen on 192.0.2.1:8000: 192.0.2.1 is not an address of this machine"
    )
