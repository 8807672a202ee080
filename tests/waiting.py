"""Waiting in a test for what a real worker does."""

from __future__ import annotations

import time


def wait_for(condition, timeout: float = 60.0) -> bool:
    """True as soon as `condition()` is, False if it is not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False
