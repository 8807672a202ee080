"""Run the three provider sandboxes on one loopback port, under /premium, /spikon and /sms.

    python -m config.sandboxes --port 8001

The demo tenant's provider accounts point here (see `manage.py setup_demo`). Each sandbox is a
plain WSGI app from its provider app's sandbox.py, seeded with demo data.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from importlib import import_module

from provider_api.wsgi_server import make_loopback_server

PREFIXES = ("premium", "spikon", "sms")


def make_dispatcher(apps: dict[str, Callable]) -> Callable:
    """Route /<prefix>/... to the app of that prefix, moving the prefix into SCRIPT_NAME."""

    def dispatch(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        prefix, _, rest = path.lstrip("/").partition("/")
        app = apps.get(prefix)
        if app is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"No sandbox here: use /premium, /spikon or /sms.\n"]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/" + prefix
        environ["PATH_INFO"] = "/" + rest
        return app(environ, start_response)

    return dispatch


def demo_apps() -> dict[str, Callable]:
    return {prefix: import_module(f"{prefix}.sandbox").demo_app() for prefix in PREFIXES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    port = parser.parse_args().port
    server = make_loopback_server(make_dispatcher(demo_apps()), port)
    print(f"Provider sandboxes on http://127.0.0.1:{port}/premium, /spikon, /sms", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
