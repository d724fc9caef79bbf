"""A private Virtuoso 7 for the tests and benchmarks: ``virtuoso-t`` started in the foreground
in a temporary directory with a generated ``virtuoso.ini``, on free loopback ports, waited for
until its SQL port and SPARQL endpoint answer, and stopped by its PID.

``start_virtuoso(tmpdir)`` is the API other code imports (the scale benchmark does).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from support.servers import RunningServer, free_port, start_server

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
SMALL_MAX_ROWS = 2_000  # ResultSetMaxRows of the tests' instance: small, so tests cross it
PASSWORD = "dba"  # a new database's DBA password; the instance listens on 127.0.0.1 only

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
; ipkg push MOVEs each graph into place in one transaction: allow graphs of millions of triples
; (the value is a 32-bit integer: 4000000000 would wrap and refuse every write)
TransactionAfterImageLimit = 2000000000
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = ., {dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
VADInstallDir = {dir}/vad
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 64
MaxMemPoolSize = 200000000
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
MaxQueryMem = 1G
AsyncQueueMaxThreads = 4

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/vsp
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
DefaultMailServer = localhost:25
MaxKeepAlives = 10
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
MaintenancePage = atomic.html
EnabledGzipContent = 1
MaxBody = 100000000

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[VDB]
ArrayOptimization = 0
NumArrayParameters = 10
VDBDisconnectTimeout = 1000
KeepConnectionOnFixedThread = 0

[Replication]
ServerName = ipkg-test
ServerEnable = 1
QueueMax = 50000

[Striping]
Segment1 = 100M, db-seg1-1.db, db-seg1-2.db

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = {max_seconds}
DefaultQuery = select distinct ?Concept where {{[] a ?Concept}} LIMIT 100
DeferInferenceRulesInit = 0
"""


def virtuoso_available() -> bool:
    """True when the Debian package's server and SQL client are on the PATH."""
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


def require_virtuoso() -> None:
    """Skips the calling test where Virtuoso is not installed, unless in CI, where it fails."""
    if virtuoso_available():
        return
    reason = (
        f"{VIRTUOSO} is not installed (apt-get install virtuoso-opensource-7-bin; "
        ".ci/run installs it)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason + " and CI is set: the Virtuoso tests must run in CI")
    pytest.skip(reason)


@dataclass
class RunningVirtuoso:
    """A live private Virtuoso: its ports, its directory and its process."""

    process: subprocess.Popen
    directory: Path
    http_port: int
    isql_port: int
    user: str = "dba"
    password: str = PASSWORD

    @property
    def sparql_url(self) -> str:
        """The anonymous read-only query endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def store_url(self) -> str:
        """The ``--store`` value that points ipkg at this instance."""
        return "sparql+" + self.sparql_url

    def log(self) -> str:
        path = self.directory / "virtuoso.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def isql(self, *statements: str, timeout: float = 60) -> str:
        """Runs SQL statements through ``isql-vt``; raises on any ``*** Error``."""
        script = self.directory / "statements.sql"
        script.write_text("".join(s.rstrip().rstrip(";") + ";\n" for s in statements))
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.isql_port}", self.user, self.password, str(script)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = done.stdout + done.stderr
        if "*** Error" in output:
            raise RuntimeError(f"isql-vt failed:\n{output}")
        return output

    def stop(self) -> None:
        """Checkpoints and stops this instance (only its own PID), SIGKILL as a last resort."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(Exception):
            subprocess.run(
                [ISQL, f"127.0.0.1:{self.isql_port}", self.user, self.password, "-K"],
                capture_output=True,
                timeout=20,
                check=False,
            )
        for sig, wait in ((None, 10), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if sig is not None and self.process.poll() is None:
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _sparql_ready(url: str) -> bool:
    try:
        return requests.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def start_virtuoso(
    tmpdir: Path | str, max_rows: int = 100_000, max_seconds: int = 60, timeout: float = 90
) -> RunningVirtuoso:
    """Starts a private Virtuoso in ``tmpdir`` and returns once it answers SPARQL."""
    directory = Path(tmpdir) / "virtuoso"
    (directory / "vsp").mkdir(parents=True, exist_ok=True)
    (directory / "vad").mkdir(exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(
        INI.format(
            dir=directory,
            sql_port=sql_port,
            http_port=http_port,
            max_rows=max_rows,
            max_seconds=max_seconds,
        )
    )
    out = (directory / "stdout.log").open("wb")
    process = subprocess.Popen(
        [VIRTUOSO, "+configfile", str(ini), "+foreground"],
        cwd=directory,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    out.close()
    server = RunningVirtuoso(process, directory, http_port, sql_port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}:\n{server.log()}")
        if _port_open(sql_port) and _sparql_ready(server.sparql_url):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"virtuoso-t was not ready after {timeout} s:\n{server.log()}")


def served_from_virtuoso(
    virtuoso: RunningVirtuoso, tmp: Path, args: list[str], env: dict[str, str] | None = None
) -> RunningServer:
    """Pushes the dataset ``args`` name into ``virtuoso`` with ``ipkg push`` and serves it from
    there with ``ipkg serve --store``."""
    env = {
        "IPKG_STORE_USER": virtuoso.user,
        "IPKG_STORE_PASSWORD": virtuoso.password,
        **(env or {}),
    }
    store_args = ["--store", virtuoso.store_url, *args]
    pushed = subprocess.run(
        [sys.executable, "-m", "ipkg", "push", *store_args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
        check=False,
    )
    assert pushed.returncode == 0, pushed.stderr
    return start_server(tmp, store_args, env=env, timeout=600)
