"""The commands of the Dockerfile and docker-compose.yml, run as they are written there."""

import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.utils import timezone

from accounts.models import WorkerHeartbeat
from conftest import database_url_for_subprocesses

BIN = Path(sys.executable).parent
# The commands of docker-compose.yml's web and beat services (tests/test_operations.py holds them equal).
WEB_COMMAND = ["gunicorn", "config.wsgi", "--config", "config/gunicorn.py"]
BEAT_COMMAND = ["celery", "-A", "config", "beat", "--loglevel", "INFO"]
BEAT_HEALTHCHECK = ["python", "manage.py", "check_beat"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DEBUG="0",
        SECRET_KEY="deploy-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="dashboard.example.com",
        DATABASE_URL=database_url_for_subprocesses(),
        DATA_DIR=str(tmp_path),
        EMAIL_URL="dummy://",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    return env


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def get(url: str, host: str | None = None, https: bool = False) -> tuple[int, dict, bytes]:
    headers = {"Host": host} if host else {}
    if https:
        headers["X-Forwarded-Proto"] = "https"  # as the TLS proxy in front of gunicorn sends it
    request = urllib.request.Request(url, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_gunicorn_serves_production_settings(transactional_db, tmp_path):
    port = free_port()
    env = {
        **production_env(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "BEHIND_TLS_PROXY": "1",
    }
    # As the Dockerfile does at build time.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    # A worker ran the heartbeat a moment ago: readiness asks for one.
    WorkerHeartbeat.objects.create(seen_at=timezone.now())
    process = subprocess.Popen(
        [str(BIN / WEB_COMMAND[0]), *WEB_COMMAND[1:]],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = get(f"http://127.0.0.1:{port}/healthz/live")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        # Probed by IP over plain HTTP, as the Dockerfile's HEALTHCHECK and docker-compose.yml do.
        assert status == 200, body
        status, _, body = get(f"http://127.0.0.1:{port}/healthz/ready")
        assert status == 200, body
        assert json.loads(body)["database"] == "ok"
        status, headers, _ = get(f"http://127.0.0.1:{port}/accounts/login/", host="dashboard.example.com")
        assert status == 301 and headers["Location"].startswith("https://dashboard.example.com/")
        status, _, _ = get(f"http://127.0.0.1:{port}/accounts/login/", host="evil.example.net")
        assert status == 400
        status, headers, body = get(
            f"http://127.0.0.1:{port}/accounts/login/", "dashboard.example.com", https=True
        )
        assert status == 200 and "Strict-Transport-Security" in headers
        assert "csrftoken" in headers.get("Set-Cookie", "") and "Secure" in headers["Set-Cookie"]
        status, headers, _ = get(
            f"http://127.0.0.1:{port}/static/favicon.svg", "dashboard.example.com", https=True
        )
        assert status == 200 and headers["Content-Type"].startswith("image/svg")
    finally:
        stop(process)


@pytest.mark.worker
def test_beat_copies_the_schedules_into_the_database(transactional_db, tmp_path):
    from django_celery_beat.models import PeriodicTask

    env = {**production_env(tmp_path), "DEBUG": "1"}
    process = subprocess.Popen(
        [str(BIN / BEAT_COMMAND[0]), *BEAT_COMMAND[1:]],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    expected = set(settings.CELERY_BEAT_SCHEDULE)
    try:
        deadline = time.monotonic() + 30
        # Beat writes the entries one by one: wait until all are there.
        while PeriodicTask.objects.filter(name__in=expected).count() < len(expected):
            missing = expected - set(PeriodicTask.objects.values_list("name", flat=True))
            assert time.monotonic() < deadline, f"beat did not write {sorted(missing)}"
            time.sleep(0.3)
        # Its health check (docker-compose.yml) passes while it ticks; it fails once the ticks are old.
        while not (tmp_path / "beat-heartbeat").exists():
            assert time.monotonic() < deadline, "beat did not tick"
            time.sleep(0.3)
        health = subprocess.run(
            [sys.executable, *BEAT_HEALTHCHECK[1:]],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        assert health.returncode == 0, health.stderr
    finally:
        stop(process)
    stale = time.time() - 120
    os.utime(tmp_path / "beat-heartbeat", (stale, stale))
    health = subprocess.run(
        [sys.executable, *BEAT_HEALTHCHECK[1:]],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert health.returncode == 1 and "Beat last ticked 12" in health.stderr


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5"])
def test_a_bad_gunicorn_number_stops_start_up_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("GUNICORN_TIMEOUT", value)
    with pytest.raises(SystemExit, match="GUNICORN_TIMEOUT must be a whole number"):
        runpy.run_path(str(settings.BASE_DIR / "config" / "gunicorn.py"))


def test_gunicorn_numbers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_TIMEOUT", "300")
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    loaded = runpy.run_path(str(settings.BASE_DIR / "config" / "gunicorn.py"))
    assert (loaded["timeout"], loaded["workers"], loaded["threads"]) == (300, 2, 1)
