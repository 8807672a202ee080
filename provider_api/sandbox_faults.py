"""What the three provider sandboxes share: faults a test injects, request counts, added latency.

Each sandbox mixes in `FaultInjection` and calls `arrive(path)` first thing in its WSGI call: the
request is counted, the latency (and for a "timeout" fault the long wait) is slept, and the fault
to answer with, if any, is returned. Each sandbox then renders that fault in its provider's way.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

# "timeout": answer only after fault_timeout_seconds (the call still takes effect); "500": HTTP 500;
# "html": a 502 HTML error page; "maintenance": a maintenance page sent with 200 (the call does not take
# effect); "truncated": the answer cut in half, its Content-Length cut to match; "broken_off": the answer's
# Content-Length promises it whole but the connection closes halfway (both take effect);
# "auth": the documented refusal.
FAULT_KINDS = frozenset({"timeout", "500", "html", "maintenance", "truncated", "broken_off", "auth"})

BAD_GATEWAY_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><hr><p>nginx</p></body></html>"
)
MAINTENANCE_PAGE = (
    '<!DOCTYPE html><html lang="pl"><head><meta charset="utf-8"><title>Przerwa techniczna</title></head>'
    "<body><h1>Przerwa techniczna</h1><p>Trwają prace serwisowe. Wrócimy wkrótce.</p></body></html>"
).encode()


def break_off(body: list[bytes]) -> list[bytes]:
    """For "broken_off": the first half of a body whose Content-Length was set for all of it."""
    whole = b"".join(body)
    return [whole[: len(whole) // 2]]


class FaultInjection:
    latency_seconds: float = 0.0
    fault_timeout_seconds: float = 30.0

    def __init__(self) -> None:
        self._fault_lock = threading.Lock()
        self._faults: dict[str, list] = {}  # path -> [kind, remaining times or None]
        self._requests: Counter[str] = Counter()

    def fault_key(self, path: str) -> str:
        """How a sandbox names a path for faults and counts (it may drop a mount prefix)."""
        return path

    def set_fault(self, path: str, kind: str, times: int | None = None) -> None:
        """Make the next `times` requests to `path` (None: all, until cleared) fail the way `kind` says."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        with self._fault_lock:
            self._faults[self.fault_key(path)] = [kind, times]

    def clear_faults(self) -> None:
        with self._fault_lock:
            self._faults.clear()

    def request_count(self, path: str) -> int:
        """How many requests reached `path`, faulted ones included."""
        with self._fault_lock:
            return self._requests[self.fault_key(path)]

    def arrive(self, path: str) -> str | None:
        """Count a request to `path`, wait as told, and return the fault to answer it with (or None)."""
        with self._fault_lock:
            self._requests[path] += 1
            kind = self._take_fault(path)
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        if kind == "timeout":
            time.sleep(self.fault_timeout_seconds)
        return kind

    def _take_fault(self, path: str) -> str | None:
        entry = self._faults.get(path)
        if entry is None:
            return None
        kind, times = entry
        if times is not None:
            if times <= 1:
                del self._faults[path]
            else:
                entry[1] = times - 1
        return kind
