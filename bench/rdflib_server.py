"""rdflib-endpoint (FastAPI on uvicorn, rdflib's SPARQL engine) serving RDF files, the baseline
of ``bench_endpoint.py``: ``python bench/rdflib_server.py --port P FILE [FILE …]``.

N-Quads and TriG keep their named graphs; the default graph answers as the union of all graphs,
as ipkg's does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import rdflib
import requests

FORMATS = {".nq": "nquads", ".trig": "trig", ".nt": "nt", ".ttl": "turtle", ".jsonld": "json-ld"}


def dataset_of(files: list[Path]) -> rdflib.Dataset:
    """The files in one rdflib Dataset whose default graph is the union of its graphs."""
    dataset = rdflib.Dataset(default_union=True)
    for path in files:
        dataset.parse(path, format=FORMATS.get(path.suffix, "turtle"))
    return dataset


def main() -> None:
    import uvicorn
    from rdflib_endpoint import SparqlEndpoint

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    app = SparqlEndpoint(graph=dataset_of(args.files), path="/sparql", cors_enabled=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


class RdflibEndpoint:
    """A running ``rdflib_server.py`` subprocess."""

    def __init__(self, files: list[Path], port: int, log: Path, timeout: float = 120) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.sparql = self.url + "/sparql"
        command = [sys.executable, __file__, "--port", str(port), *map(str, files)]
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rdflib-endpoint exited:\n{log.read_text()}")
            try:
                answer = requests.get(self.sparql, params={"query": "ASK {}"}, timeout=2)
                if answer.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"rdflib-endpoint not ready after {timeout} s:\n{log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


if __name__ == "__main__":
    main()
