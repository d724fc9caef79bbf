"""Confinement of a query worker process: no network, bounded memory, and death with its parent.

Each measure uses a Linux facility through libc; :func:`confine` reports what held, and
:func:`required` refuses to serve without the network namespace unless the operator switched it
off (``--network-namespace off``): then SERVICE and LOAD are still refused by the parse.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import resource
import signal

from ipkg.config import ConfigError

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> bool:
    """Asks the kernel to SIGKILL this process when its parent exits."""
    return _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def without_network() -> bool:
    """Moves this (single-threaded) process into a new, empty network namespace.

    Inside it no interface but a loopback that is down exists, so no query can open a
    connection anywhere, whatever the engine would try. Needs root or unprivileged user
    namespaces; returns False when neither is allowed.
    """
    if _libc.unshare(CLONE_NEWNET) == 0:
        return True
    return _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0


def current_address_space() -> int:
    """This process's virtual memory size in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def limit_memory(extra_bytes: int) -> bool:
    """Caps this process's address space at its current size plus ``extra_bytes``: an
    allocation past it fails, which ends the query (and, in native code, the process)."""
    try:
        limit = current_address_space() + extra_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        return True
    except (OSError, ValueError):
        return False


def confine(memory_bytes: int, network: bool = True) -> dict[str, bool]:
    """Applies every measure (the network namespace only when ``network``); returns which
    ones held."""
    # An allocation failure ends the worker by design: say so in one line, not a trace.
    os.environ["RUST_BACKTRACE"] = "0"
    faulthandler.disable()
    return {
        "die_with_parent": die_with_parent(),
        "no_network": without_network() if network else False,
        "memory_limit": limit_memory(memory_bytes),
    }


class IsolationUnavailable(ConfigError):
    """The query workers could not be confined as the settings require."""


def required(held: dict[str, bool], network: bool) -> None:
    """Raises :class:`IsolationUnavailable` when a worker lacks a measure it must have."""
    if network and not held.get("no_network"):
        raise IsolationUnavailable(
            "--network-namespace on: the query workers could not enter an empty network "
            "namespace (this host forbids unprivileged user and network namespaces); allow them "
            "(sysctl kernel.unprivileged_userns_clone=1) or start with --network-namespace off, "
            "which keeps SERVICE and LOAD refused by the parser but no longer by the kernel"
        )


def described(held: dict[str, bool], network: bool) -> dict[str, str]:
    """The isolation in words, for the start-up log and /readyz: network, memory, parent."""
    if not held:
        return {"network": "none (a remote store: no local query workers)"}
    return {
        "network": "empty network namespace"
        if held.get("no_network")
        else "host network (--network-namespace off); SERVICE and LOAD refused by the parser"
        if not network
        else "host network (the namespace could not be entered)",
        "memory": "capped" if held.get("memory_limit") else "not capped",
        "die_with_parent": "yes" if held.get("die_with_parent") else "no",
    }
