"""The load generator: a fixed number of GETs over a fixed number of concurrent connections.

Python threads with http.client rather than wrk: gunicorn's sync workers (the Docker image's) close the
connection after every answer, and wrk opens the next connection as soon as an answer arrives, also
after the last one it wants. A sync worker then waits on that idle connection until gunicorn's timeout;
with 2 workers and 4 connections two such waits stall the whole run. Here a connection is opened only
for a request that will be sent. Each request's latency runs from opening the connection to the last
byte of the answer, as a browser's would without keep-alive. The client's own cost is about 0.2 ms of
CPU per request, the same for every page and the floor.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Latency:
    requests: int
    failed: int  # answers other than 200, and connection errors
    p50_ms: float
    p95_ms: float
    max_ms: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def get(url: str, headers: dict[str, str], timeout: float = 120.0) -> tuple[int, int]:
    """One GET on a new connection: (status, body bytes)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers={**headers, "Connection": "close"})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


@dataclass
class Samples:
    """Latencies in seconds of the requests made so far, and how many failed."""

    seconds: list[float] = field(default_factory=list)
    failed: int = 0
    elapsed: float = 0.0

    def latency(self) -> Latency:
        cuts = statistics.quantiles(self.seconds, n=100, method="inclusive")
        return Latency(
            requests=len(self.seconds),
            failed=self.failed,
            p50_ms=cuts[49] * 1000,
            p95_ms=cuts[94] * 1000,
            max_ms=max(self.seconds) * 1000,
            seconds=self.elapsed,
        )


def run(
    url: str,
    cookie: str,
    *,
    requests: int,
    connections: int = 4,
    htmx: bool = False,
    into: Samples | None = None,
) -> Samples:
    """`requests` GETs of `url`, at most `connections` at a time; their latencies (added to `into`)."""
    headers = {"Cookie": cookie, "Accept-Encoding": "identity"}
    if htmx:
        headers["HX-Request"] = "true"
    samples = into if into is not None else Samples()
    remaining = [requests]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                status, _size = get(url, headers)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                samples.seconds.append(elapsed)
                if status != 200:
                    samples.failed += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.elapsed += time.perf_counter() - began
    return samples
