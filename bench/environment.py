"""Where the bench keeps its things and the environment every process it starts runs with.

The bench has a PostgreSQL database of its own (BENCH_DATABASE_URL, default dashboard_bench on the
machine's server), a data folder var/bench/ (its keys and collected static files) and a Celery queue of
its own on the machine's Redis. Django runs as in production: DEBUG off, the manifest static storage.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
DATA_DIR = ROOT / "var" / "bench"
RESULTS_DIR = ROOT / "bench" / "results"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dashboard_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# One queue per bench run: no other worker takes its tasks, and it is deleted at the end.
QUEUE = f"bench-{os.getpid()}"


def _keys() -> dict[str, str]:
    """The bench's own secret key and encryption key, made once (its database stores secrets under it)."""
    path = DATA_DIR / "keys.json"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        keys = {"SECRET_KEY": secrets.token_urlsafe(50), "ENCRYPTION_KEYS": Fernet.generate_key().decode()}
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
    return json.loads(path.read_text())


def django_environment() -> dict[str, str]:
    """Production-like settings on the bench database; every listener stays on loopback."""
    return {
        **os.environ,
        **_keys(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "BROKER_NAMESPACE": QUEUE,
        "DATA_DIR": str(DATA_DIR),
        "MEDIA_ROOT": str(DATA_DIR / "media"),
        "STATIC_ROOT": str(DATA_DIR / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback: no TLS proxy in front
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def setup_django() -> None:
    """Set up Django in this process with the bench's settings."""
    os.environ.update(django_environment())
    import django

    django.setup()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


@contextmanager
def running(command: list[str], *, env: dict[str, str] | None = None, log: Path | None = None) -> Iterator:
    """Start a process in a session of its own; stop it (and only it, by its PID) on leaving.

    Leaving includes errors and Ctrl-C. SIGTERM first, then SIGKILL to its process group.
    """
    output = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if log:
            output.close()


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory (VmHWM) of a running process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's or Celery's worker processes)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            found += [int(child) for child in path.read_text().split()]
    return found


def compose_worker(service: str) -> list[str]:
    """The command of a worker service of docker-compose.yml as the bench runs it: as written (queues,
    processes, recycling), from this virtual environment, under a node name of the bench's, logging
    warnings only. Run it with django_environment(): the bench's broker namespace."""
    import yaml

    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]
    command = [str(PYTHON.parent / spec["command"][0]), *spec["command"][1:]]
    options = dict(zip(command[4::2], command[5::2], strict=True))
    options["--hostname"] = f"{QUEUE}-{service}@%h"
    options["--loglevel"] = "WARNING"
    command = command[:4] + [part for pair in options.items() for part in pair]
    return [*command, "--without-gossip", "--without-mingle", "--without-heartbeat"]


def wait_for_worker(process: subprocess.Popen, node: str, processes: int, log: Path) -> None:
    """Until a Celery worker answers a ping of its own node and has forked its processes."""
    import socket

    from config.celery import app

    deadline = time.monotonic() + 60
    destination = node.replace("%h", socket.gethostname())
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited at start; see {log}")
        replies = app.control.ping(destination=[destination], timeout=0.5)
        if replies and len(children(process.pid)) >= processes:
            return
    raise RuntimeError(f"the Celery worker {destination} did not answer within a minute")
