"""The shipped HAProxy configuration (deploy/haproxy.cfg) is one HAProxy 2.6 accepts, with its
defaults and with the addresses a deployment gives it."""

from __future__ import annotations

import os
import subprocess

import pytest

from support.fleet import CONFIG, haproxy_binary

pytestmark = pytest.mark.skipif(haproxy_binary() is None, reason="haproxy is not installed")


def check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [haproxy_binary(), "-c", "-f", str(CONFIG)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_haproxy_accepts_the_shipped_configuration() -> None:
    result = check({})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout


def test_haproxy_accepts_it_with_the_addresses_of_a_deployment() -> None:
    result = check(
        {
            "IPKG_LB_BIND": "127.0.0.1:9080",
            "IPKG_PRIMARY": "127.0.0.1:9000",
            "IPKG_REPLICA_1": "127.0.0.1:9001",
            "IPKG_REPLICA_2": "127.0.0.1:9002",
            "IPKG_LB_CLIENT_QUERIES": "2",
            "IPKG_LB_RATE": "100",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_haproxy_refuses_a_configuration_with_an_error() -> None:
    """The check can fail: a broken copy of the file is refused (so a pass means something)."""
    broken = CONFIG.read_text().replace("balance uri whole", "balance no-such-algorithm")
    result = subprocess.run(
        [haproxy_binary(), "-c", "-f", "/dev/stdin"],
        input=broken,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
