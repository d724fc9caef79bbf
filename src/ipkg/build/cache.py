"""A disk cache of reasoning results, keyed by a hash of the inputs and the library versions.

A restart with the same files does not reason again; any changed byte, base IRI or library
version gives another key, so a stale result is never used.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox

# Bump when the clean-up rules in reasoning.py change what is kept.
REASONING_REVISION = "2"


def cache_key(inputs: Iterable[bytes], *, base: str, reasoner: str) -> str:
    """A hex digest of everything that decides the reasoner's output."""
    digest = hashlib.sha256()
    for part in (reasoner, base, REASONING_REVISION, version("rdflib"), version("owlrl")):
        digest.update(part.encode() + b"\0")
    for content in inputs:
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


class InferenceCache:
    """Inferred graphs stored as N-Triples files named by their key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / f"inferred-{key}.nt"

    def get(self, key: str) -> list[ox.Triple] | None:
        """The cached triples for ``key``, or None when there are none (or they are unreadable)."""
        path = self._path(key)
        try:
            return [q.triple for q in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)]
        except (OSError, SyntaxError):
            return None

    def is_marked(self, key: str) -> bool:
        """True if :meth:`mark` was called for ``key`` (e.g. "these inputs validated")."""
        return (self.directory / f"ok-{key}").exists()

    def mark(self, key: str) -> None:
        """Remembers that ``key`` passed a check; skipped silently if the cache is unwritable."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"ok-{key}").touch()
        except OSError:
            return

    def put(self, key: str, triples: Iterable[ox.Triple]) -> None:
        """Stores triples atomically; a cache that cannot be written is skipped silently."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                ox.serialize(triples, out, format=ox.RdfFormat.N_TRIPLES)
            os.replace(tmp, self._path(key))
        except OSError:
            return
