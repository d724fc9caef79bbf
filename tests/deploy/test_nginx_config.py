"""The shipped nginx cache configuration (deploy/nginx-cache.conf), with its placeholders
filled in, is one nginx accepts; a broken copy is refused (so the check means something)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support.fleet import DEPLOY

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def checked(tmp: Path, text: str) -> subprocess.CompletedProcess:
    for key, value in {
        "@LISTEN@": "127.0.0.1:1",
        "@UPSTREAM@": "127.0.0.1:2",
        "@PREFIX@": str(tmp),
    }.items():
        text = text.replace(key, value)
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return subprocess.run(
        [NGINX, "-t", "-p", str(tmp), "-c", str(conf)], capture_output=True, text=True, timeout=30
    )


def test_nginx_accepts_the_shipped_cache_configuration(tmp_path: Path) -> None:
    result = checked(tmp_path, (DEPLOY / "nginx-cache.conf").read_text())
    assert result.returncode == 0, result.stderr


def test_nginx_refuses_a_broken_copy(tmp_path: Path) -> None:
    text = (DEPLOY / "nginx-cache.conf").read_text().replace("proxy_cache ipkg;", "proxy_cache;")
    assert checked(tmp_path, text).returncode != 0
