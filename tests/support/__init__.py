"""What the tests and the benchmarks share: starting ``ipkg serve`` on 127.0.0.1
(``servers``), headless Chromium (``browser``) and a private Virtuoso (``virtuoso``).
Importable as ``support.…`` from tests/ (pytest's ``pythonpath``) and from bench/ (through
``bench/harness.py``)."""
