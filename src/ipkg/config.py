"""All settings in one place: each is a CLI flag ``--name`` and an environment variable
``IPKG_NAME``.

A flag given on the command line wins over the environment, which wins over the default.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from ipkg.errors import IpkgError
from ipkg.namespaces import CANONICAL_BASE, Namespaces

_PACKAGE = Path(__file__).resolve().parent  # src/ipkg


def project_root() -> Path:
    """The folder holding ``ontology/``, ``data/`` and ``queries/``.

    An installed wheel carries them inside the package (``ipkg/embedded``); an editable install
    or a checkout reads them from the repository, two levels above ``src/ipkg``.
    """
    embedded = _PACKAGE / "embedded"
    if (embedded / "data").is_dir():
        return embedded
    return _PACKAGE.parent.parent


class ConfigError(IpkgError, ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


class Reasoner(StrEnum):
    """Which OWL-RL reasoner derives the inferred graph (``--reasoner``)."""

    OWLRL = "owlrl"
    REASONABLE = "reasonable"  # the fast Rust one, streamed for data of any size
    NONE = "none"  # serve what is asserted, nothing inferred


class StoreKind(StrEnum):
    MEMORY = "memory"
    DISK = "disk"
    REMOTE = "remote"


@dataclass(frozen=True)
class StoreSpec:
    """``--store`` read once: which kind of store, and where (the directory of a disk store,
    the ``sparql+http(s)://…`` URL of a remote one)."""

    kind: StoreKind
    location: str = ""

    @classmethod
    def parse(cls, text: str) -> StoreSpec:
        if text == "memory":
            return cls(StoreKind.MEMORY)
        if text.startswith("disk:") and len(text) > len("disk:"):
            return cls(StoreKind.DISK, text[len("disk:") :])
        if text.startswith(("sparql+http://", "sparql+https://")):
            return cls(StoreKind.REMOTE, text)
        raise ConfigError(
            f"store must be memory, disk:PATH or sparql+http://host:port/path, got {text!r}"
        )

    @property
    def path(self) -> Path:
        """The directory of a disk store."""
        return Path(self.location).expanduser()


def _default_cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "ipkg"


@dataclass(frozen=True)
class Settings:
    """Everything the service and the command line can be told."""

    host: str = field(default="127.0.0.1", metadata={"help": "address to listen on"})
    port: int = field(default=8000, metadata={"help": "TCP port to listen on"})
    data: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "RDF file to serve instead of the article graph, as FILE or GRAPH_IRI=FILE "
            "(repeatable; Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML)",
            "repeat": True,
        },
    )
    allow_empty_data: bool = field(
        default=False,
        metadata={
            "help": "accept a --data file with no triples (else refused at start and on reload)",
            "flag": True,
        },
    )
    ontology: str = field(
        default="",
        metadata={
            "help": "OWL ontology to reason the --data files against with --reasoner (served in "
            "the graph BASE/graph/ontology, inferences in BASE/graph/inferred; empty: --data is "
            "served as given)"
        },
    )
    base: str = field(
        default=CANONICAL_BASE,
        metadata={
            "help": "base IRI of the dataset (the article graph is moved onto it; --data files "
            "are written under it)"
        },
    )
    reasoner: Reasoner = field(
        default=Reasoner.OWLRL,
        metadata={
            "help": "OWL-RL reasoner for the article graph (reasonable: the fast Rust one)",
            "choices": ("owlrl", "reasonable", "none"),
        },
    )
    default_graph: str = field(
        default="union",
        metadata={
            "help": "what a /sparql query without FROM or dataset parameters sees as its default "
            "graph: union (every named graph merged, what the article's queries expect) or "
            "separate (the stored default graph alone, as the SPARQL dataset defines it; named "
            "graphs only through GRAPH)",
            "choices": ("union", "separate"),
        },
    )
    query_timeout: float = field(
        default=10.0, metadata={"help": "hard deadline of one query, in seconds"}
    )
    query_workers: int = field(
        default=2, metadata={"help": "pre-forked processes that evaluate queries"}
    )
    client_queries: int = field(
        default=1,
        metadata={
            "help": "query workers one client address may hold at once (over it: a short "
            "wait, then 429 with Retry-After)"
        },
    )
    client_timeout: float = field(
        default=10.0,
        metadata={
            "help": "seconds a client has to send its whole request (head and body); a request "
            "still arriving holds no thread, and past this its connection is closed"
        },
    )
    client_pending: int = field(
        default=16,
        metadata={
            "help": "requests one client address may have still arriving at once; further "
            "connections from it are closed (slow-client defence)"
        },
    )
    head_timeout: float = field(
        default=5.0,
        metadata={
            "help": "seconds a connection has to send a request head (a fresh connection from "
            "its start, a request from its first byte); past this it is closed"
        },
    )
    send_timeout: float = field(
        default=30.0,
        metadata={
            "help": "seconds an answer may go without the client reading any of it; past "
            "this the connection is closed (answers are buffered: no thread waits)"
        },
    )
    keepalive_timeout: float = field(
        default=15.0,
        metadata={"help": "seconds an idle keep-alive connection is kept open"},
    )
    client_connections: int = field(
        default=128,
        metadata={
            "help": "open connections one client address may have (an IPv6 /64 counts as one "
            "address; the --trusted-proxy is exempt); further ones are closed at accept"
        },
    )
    max_unsent_bytes: int = field(
        default=256 * 1_048_576,
        metadata={
            "help": "bytes of answers held in all for clients that read them slowly; an answer "
            "over 64 KiB that would go past it is answered 503 with Retry-After instead"
        },
    )
    max_connections: int = field(
        default=1024,
        metadata={
            "help": "open connections in all; over it, accepting one closes the oldest "
            "connection that holds no request in a thread (lowered to the descriptor limit)"
        },
    )
    trusted_proxy: str = field(
        default="",
        metadata={
            "help": "address of a reverse proxy whose X-Forwarded-For names the client "
            "(empty: the header is ignored)"
        },
    )
    threads: int = field(default=16, metadata={"help": "HTTP request threads"})
    max_query_length: int = field(
        default=20_000, metadata={"help": "longest accepted query, in characters (else 413)"}
    )
    max_body: int = field(
        default=1_048_576, metadata={"help": "largest accepted request body, in bytes (else 413)"}
    )
    max_rows: int = field(
        default=100_000, metadata={"help": "most result rows or triples a query may return"}
    )
    max_result_bytes: int = field(
        default=32 * 1_048_576, metadata={"help": "largest serialised result, in bytes"}
    )
    query_memory: int = field(
        default=1_024, metadata={"help": "memory one query may allocate, in MiB"}
    )
    result_cache_bytes: int = field(
        default=64 * 1_048_576,
        metadata={
            "help": "memory for answers to repeated /sparql queries, in bytes, emptied by every "
            "write (0: no cache; a remote --store is never cached)"
        },
    )
    cache_max_age: int = field(
        default=2,
        metadata={
            "help": "seconds a shared HTTP cache (or a browser) may reuse a read's answer "
            "before revalidating it by its ETag (0: revalidate every time); the longest a "
            "reader behind a cache can miss a write"
        },
    )
    network_namespace: str = field(
        default="on",
        metadata={
            "help": "put each query worker in an empty network namespace (off: for hosts that "
            "forbid namespaces; SERVICE and LOAD stay refused by the parser)",
            "choices": ("on", "off"),
        },
    )
    cache_dir: Path = field(
        default_factory=_default_cache_dir,
        metadata={"help": "where reasoning results are cached"},
    )
    log_level: str = field(default="info", metadata={"help": "log level"})
    rate_limit: float = field(
        default=0.0, metadata={"help": "requests per second per client (0: no limit)"}
    )
    rate_burst: float = field(
        default=20.0, metadata={"help": "requests a client may burst above the rate limit"}
    )
    watch: bool = field(
        default=False, metadata={"help": "reload when a data file changes", "flag": True}
    )
    store: str = field(
        default="memory",
        metadata={
            "help": "where the dataset lives: memory, disk:PATH (persistent, built once) or "
            "sparql+http://host:port/sparql (a remote SPARQL 1.1 store; credentials from "
            "IPKG_STORE_USER and IPKG_STORE_PASSWORD)"
        },
    )
    store_user: str = field(
        default="", repr=False, metadata={"help": "user name for the remote store"}
    )
    store_password: str = field(
        default="", repr=False, metadata={"help": "password for the remote store (use the env)"}
    )
    update_token: str = field(
        default="",
        repr=False,
        metadata={
            "help": "bearer token that enables SPARQL Update and Graph Store writes "
            "(empty: read-only; prefer the env)"
        },
    )
    queries: Path = field(
        default_factory=lambda: project_root() / "queries",
        metadata={"help": "folder of saved queries (*.rq) served under /api/queries"},
    )
    public_base: str = field(
        default="",
        metadata={
            "help": "URL where the dataset is deployed, ending in '/': every IRI under the "
            "base is moved there at load, in the store and all output (empty: served as --base)"
        },
    )

    def namespaces(self) -> Namespaces:
        """The dataset's IRIs as served: under ``public_base`` when set, else under ``base``;
        the inputs are written under the canonical base (the article) or ``base`` (--data)."""
        written = self.base if self.data else CANONICAL_BASE
        return Namespaces(self.public_base or self.base, written)

    def __post_init__(self) -> None:
        for name in (
            "port",
            "query_workers",
            "client_queries",
            "client_pending",
            "client_connections",
            "max_connections",
            "max_unsent_bytes",
            "threads",
            "max_query_length",
            "max_body",
            "max_rows",
            "max_result_bytes",
            "query_memory",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive number, got {getattr(self, name)}")
        if self.cache_max_age < 0:
            raise ConfigError(f"cache_max_age must be >= 0, got {self.cache_max_age}")
        if self.result_cache_bytes < 0:
            raise ConfigError(f"result_cache_bytes must be >= 0, got {self.result_cache_bytes}")
        if not 1 <= self.port <= 65_535:
            raise ConfigError(f"port must be between 1 and 65535, got {self.port}")
        for name in (
            "query_timeout",
            "rate_limit",
            "rate_burst",
            "client_timeout",
            "head_timeout",
            "send_timeout",
            "keepalive_timeout",
        ):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"{name} must be a finite number, got {getattr(self, name)}")
        if self.rate_limit < 0 or self.rate_burst < 1:
            raise ConfigError("rate_limit must be >= 0 and rate_burst >= 1")
        for name in ("client_timeout", "head_timeout", "send_timeout", "keepalive_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.query_timeout <= 0:
            raise ConfigError(f"query_timeout must be positive, got {self.query_timeout}")
        if self.ontology and not self.data:
            raise ConfigError("ontology reasons --data files: give --data as well")
        if not self.base.endswith(("/", "#")):
            raise ConfigError(f"base must end with '/' or '#', got {self.base!r}")
        if self.public_base and not (
            self.public_base.startswith(("http://", "https://")) and self.public_base.endswith("/")
        ):
            raise ConfigError(
                f"public_base must be an http(s) URL ending in '/', got {self.public_base!r}"
            )
        if self.reasoner not in tuple(Reasoner):
            raise ConfigError(
                f"reasoner must be one of {', '.join(Reasoner)}, got {self.reasoner!r}"
            )
        if self.default_graph not in ("union", "separate"):
            raise ConfigError(
                f"default_graph must be union or separate, got {self.default_graph!r}"
            )
        object.__setattr__(self, "reasoner", Reasoner(self.reasoner))  # a flag gives a str
        if self.host.startswith("[") and self.host.endswith("]"):  # [::1] is ::1, as in a URL
            object.__setattr__(self, "host", self.host[1:-1])
        _ = self.store_spec  # parsed (and checked) once

    @property
    def union_default_graph(self) -> bool:
        """Whether a query's default graph is the union of the named graphs."""
        return self.default_graph == "union"

    @cached_property
    def store_spec(self) -> StoreSpec:
        """``store`` parsed."""
        return StoreSpec.parse(self.store)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _converter(kind: Any) -> Callable[[str], Any]:
    if kind in (bool, "bool"):
        return _boolean
    if kind in (int, "int"):
        return int
    if kind in (float, "float"):
        return float
    if kind in (Path, "Path"):
        return Path
    return str


def _env_value(name: str, kind: Any, *, repeat: bool, environ: Mapping[str, str]) -> Any:
    raw = environ.get("IPKG_" + name.upper())
    if raw is None:
        return None
    convert = _converter(kind)
    try:
        if repeat:
            return tuple(convert(part) for part in raw.split(os.pathsep) if part)
        return convert(raw)
    except ValueError as exc:
        raise ConfigError(f"IPKG_{name.upper()}: {exc}") from None


def add_arguments(parser: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    """Adds one ``--flag`` per setting (or per named setting) to a parser."""
    for f in fields(Settings):
        if only is not None and f.name not in only:
            continue
        flag = "--" + f.name.replace("_", "-")
        meta = f.metadata
        kwargs: dict[str, Any] = {"dest": f.name, "default": None, "help": meta.get("help", "")}
        kwargs["help"] += f" (env IPKG_{f.name.upper()})"
        if meta.get("flag"):
            kwargs["action"] = "store_const"
            kwargs["const"] = True
        elif meta.get("repeat"):
            kwargs["action"] = "append"
        else:
            kwargs["type"] = _converter(f.type)
        if "choices" in meta:
            kwargs["choices"] = meta["choices"]
        parser.add_argument(flag, **kwargs)


def settings_from(
    args: argparse.Namespace | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Builds settings from parsed flags over ``IPKG_*`` variables over defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        repeat = bool(f.metadata.get("repeat"))
        value = getattr(args, f.name, None) if args is not None else None
        if value is None:
            value = _env_value(f.name, f.type, repeat=repeat, environ=environ)
        elif repeat:
            value = tuple(value)
        if value is not None:
            values[f.name] = value
    try:
        return replace(Settings(), **values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
