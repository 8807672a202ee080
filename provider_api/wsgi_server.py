"""Serve a sandbox (a WSGI app) on loopback: for the demo start command and live-HTTP tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        """Requests carry API keys in their bodies; the sandbox logs nothing."""


def make_loopback_server(app: Callable, port: int = 0) -> WSGIServer:
    """A threaded WSGI server on 127.0.0.1 (port 0: any free port)."""
    return make_server("127.0.0.1", port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


@contextmanager
def serve_in_thread(app: Callable) -> Iterator[str]:
    """Run `app` on a free loopback port for the duration of the block; yields its base URL."""
    server = make_loopback_server(app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Mount:
    """A WSGI app that forwards to whichever app is mounted now.

    Starting a server costs more than a test: a test module serves one `Mount` for all its tests
    and each test mounts a fresh sandbox on it.
    """

    def __init__(self) -> None:
        self.app: Callable | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.app is None:
            raise RuntimeError("nothing is mounted")
        return self.app(environ, start_response)
