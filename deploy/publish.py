"""Publishes the primary's data as a versioned snapshot that read replicas load.

Every ``--interval`` seconds it asks the primary for ``/export/complete.nq`` with the ETag it
last saw; on a new version (a write happened, or the primary restarted) it writes
``<dir>/<version>.nq`` and then points ``<dir>/current.nq`` at it by an atomic rename, so a
replica never reads half a file. Replicas started with ``--data <dir>/current.nq --watch``
notice the new file within a second and reload it (the new data is built while the old
serves, and requests that arrive during the swap are held and answered, so none fails). Old
versions beyond ``--keep`` are removed.

    python deploy/publish.py --primary http://127.0.0.1:8000 --dir /srv/ipkg/snapshots
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import requests

CURRENT = "current.nq"


def published(primary: str, folder: Path, etag: str | None, timeout: float) -> str | None:
    """Fetches the primary's dump when it changed; returns its ETag (the one given if not)."""
    headers = {"Accept-Encoding": "identity", **({"If-None-Match": etag} if etag else {})}
    answer = requests.get(f"{primary}/export/complete.nq", headers=headers, timeout=timeout)
    if answer.status_code == 304:
        return etag
    answer.raise_for_status()
    version = hashlib.sha256(answer.content).hexdigest()[:16]
    snapshot = folder / f"{version}.nq"
    if not snapshot.exists():
        partial = folder / f".{version}.partial"
        partial.write_bytes(answer.content)
        partial.replace(snapshot)
    link = folder / f".{CURRENT}.partial"
    link.unlink(missing_ok=True)
    link.symlink_to(snapshot.name)
    link.replace(folder / CURRENT)  # atomic: a replica sees the old file or the new one
    return answer.headers.get("ETag")


def pruned(folder: Path, keep: int) -> None:
    """Removes all but the ``keep`` newest snapshots (never the current one)."""
    current = (folder / CURRENT).resolve() if (folder / CURRENT).exists() else None
    snapshots = sorted(folder.glob("*.nq"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in snapshots if p.name != CURRENT][keep:]:
        if old.resolve() != current:
            old.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--primary", required=True, help="URL of the primary ipkg")
    parser.add_argument("--dir", required=True, type=Path, help="folder of the snapshots")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between checks")
    parser.add_argument("--keep", type=int, default=3, help="snapshots kept besides current")
    parser.add_argument("--once", action="store_true", help="publish once and exit")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    etag = None
    while True:
        try:
            fresh = published(args.primary.rstrip("/"), args.dir, etag, timeout=30)
            if fresh != etag:
                print(f"published {os.readlink(args.dir / CURRENT)}", flush=True)
                pruned(args.dir, args.keep)
            etag = fresh
        except (requests.RequestException, OSError) as exc:
            print(f"publish: {exc}", file=sys.stderr, flush=True)  # the last snapshot stays
        if args.once:
            return 0 if etag else 1
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
