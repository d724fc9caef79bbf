"""Counters and a latency histogram kept in process memory and written in the Prometheus text
exposition format. Thread-safe; one instance lives on the app state."""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "-"})


def _labels(**labels: str) -> str:
    body = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels.items()
    )
    return "{" + body + "}" if body else ""


class Metrics:
    """Request counts by route and status, a latency histogram, and gauges read on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str, int]] = Counter()
        self._buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0.0
        self._latency_count = 0
        self._gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Counts one finished request (a method HTTP does not define counts as ``other``: a
        client must not grow the label set)."""
        method = method if method in METHODS else "other"
        with self._lock:
            self._requests[(method, route, status)] += 1
            self._buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
            self._latency_sum += seconds
            self._latency_count += 1

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """Registers a value read when metrics are scraped (counters kept elsewhere included)."""
        self._gauges[name] = (help_text, read)

    def exposition(self) -> str:
        """Everything in the Prometheus text format, version 0.0.4."""
        with self._lock:
            requests = sorted(self._requests.items())
            buckets = list(self._buckets)
            total, count = self._latency_sum, self._latency_count
        lines = [
            "# HELP ipkg_http_requests_total HTTP requests by method, route and status.",
            "# TYPE ipkg_http_requests_total counter",
        ]
        for (method, route, status), n in requests:
            labels = _labels(method=method, route=route, status=str(status))
            lines.append(f"ipkg_http_requests_total{labels} {n}")
        lines += [
            "# HELP ipkg_http_request_duration_seconds Time to answer a request.",
            "# TYPE ipkg_http_request_duration_seconds histogram",
        ]
        running = 0
        for bound, n in zip((*LATENCY_BUCKETS, "+Inf"), buckets, strict=True):
            running += n
            le = _labels(le=str(bound))
            lines.append(f"ipkg_http_request_duration_seconds_bucket{le} {running}")
        lines.append(f"ipkg_http_request_duration_seconds_sum {total}")
        lines.append(f"ipkg_http_request_duration_seconds_count {count}")
        for name, (help_text, read) in sorted(self._gauges.items()):
            kind = "counter" if name.endswith("_total") else "gauge"
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {read()}"]
        return "\n".join(lines) + "\n"
