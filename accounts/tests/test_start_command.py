"""The README's start command, run as a newcomer would: it serves the login page; Ctrl-C stops all, and so
does SIGTERM or SIGHUP sent to the command alone (as a service manager, `kill` or a closed terminal does)."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def ctrl_c(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group


def sigterm(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)


def sighup(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGHUP)


@pytest.mark.worker
@pytest.mark.parametrize("stop", [ctrl_c, sigterm, sighup])
def test_start_command_serves_the_login_page_and_stops_everything(tmp_path, stop):
    port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATA_DIR=str(tmp_path / "data"),
        PORT=str(port),
        SANDBOX_PORT=str(sandbox_port),
        VENV_DIR=str(Path(sys.executable).parent.parent),
    )
    log = (tmp_path / "start.log").open("w+")
    process = subprocess.Popen(
        [str(Path(settings.BASE_DIR) / "scripts" / "start")],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/accounts/login/")
                if status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "start.log").read_text()[-4000:]
            assert time.monotonic() < deadline, (tmp_path / "start.log").read_text()[-4000:]
            time.sleep(0.5)
        assert 'name="password"' in body
        output = (tmp_path / "start.log").read_text()
        assert re.search(r"password: \S+", output), output[-2000:]
        assert f"http://127.0.0.1:{port}/" in output
        # Ready once the one worker has run a heartbeat: it sends one through the heartbeat's queue as it
        # starts (beat's first comes a minute later).
        deadline = time.monotonic() + 60
        while fetch(f"http://127.0.0.1:{port}/healthz/ready")[0] != 200:
            assert time.monotonic() < deadline, fetch(f"http://127.0.0.1:{port}/healthz/ready")[1]
            time.sleep(1)
        sandbox_status, _ = fetch(f"http://127.0.0.1:{sandbox_port}/nowhere")
        assert sandbox_status == 404
    finally:
        with contextlib.suppress(ProcessLookupError):
            stop(process)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        log.close()
    still_open = []
    for port_in_use in (port, sandbox_port):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port_in_use)) == 0:
                still_open.append(port_in_use)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever the command left behind, not to outlive the test
    assert still_open == [], f"ports {still_open} still open"
