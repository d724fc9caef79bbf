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
NOBODY = 65534


def serve(*args: str, as_nobody: bool = False) -> subprocess.CompletedProcess:
    """``ipkg serve`` with ``args``; ``as_nobody`` drops root to the unprivileged user first
    (util-linux's setpriv), as a person without privileges would run it."""
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return subprocess.run(
        [*(drop if as_nobody else []), sys.executable, "-m", "ipkg", "serve", *args],
        capture_output=True,
        text=True,
        cwd="/tmp" if as_nobody else ROOT,
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
    done = serve("--host", "127.0.0.1", "--port", "80", as_nobody=os.geteuid() == 0)
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("ipkg: error: cannot listen on 127.0.0.1:80: ports below 1024 need ")


def test_an_address_of_another_machine_is_named():
    done = serve("--host", "192.0.2.1", "--port", "8000")  # TEST-NET-1: never this machine's
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "ipkg: error: cannot listen on 192.0.2.1:8000: 192.0.2.1 is not an address of this machine"
    )
