"""A provider sandbox on a loopback port, in a process of its own, timing what it answers.

    python -m bench.sandbox_server --port 8123 [--calls-per-month 100000] [--latency 0.1]

Serves the three demo sandboxes under /premium, /spikon and /sms (as config.sandboxes does).
GET /__bench__/time answers {"requests": n, "seconds": s}: how many provider requests were answered
and the provider time they took (latency included), for the fan-out's ideal time.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterable
from importlib import import_module

from config.sandboxes import PREFIXES, make_dispatcher
from provider_api.wsgi_server import make_loopback_server


class Timed:
    """Adds up the time spent answering each request (its body included)."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.requests = 0
        self.seconds = 0.0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/__bench__/time":
            with self.lock:
                body = json.dumps({"requests": self.requests, "seconds": self.seconds}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        started = time.perf_counter()
        body = b"".join(self.app(environ, start_response))
        with self.lock:
            self.requests += 1
            self.seconds += time.perf_counter() - started
        return [body]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--calls-per-month", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.0)
    options = parser.parse_args()
    apps = {prefix: import_module(f"{prefix}.sandbox").demo_app() for prefix in PREFIXES}
    apps["premium"].calls_per_month = options.calls_per_month
    for app in apps.values():
        app.latency_seconds = options.latency
    server = make_loopback_server(Timed(make_dispatcher(apps)), options.port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
