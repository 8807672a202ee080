"""Operations: queues per kind of work, health checks, secrets and defaults, backups, the compose file.

tests/compose-spec.json is the Compose specification's JSON schema, vendored from
github.com/compose-spec/compose-spec (schema/compose-spec.json, commit 170098ba07d9).
"""

from __future__ import annotations

import copy
import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
import yaml
from celery.app.routes import MapRoute
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import WorkerHeartbeat
from accounts.tasks import record_worker_heartbeat
from accounts.tests.test_deploy import BEAT_COMMAND, BEAT_HEALTHCHECK, WEB_COMMAND, production_env
from config import env
from config.celery import DEFAULT_QUEUE, INTERACTIVE, QUEUES, REPORTS, SYNC, TASK_ROUTES, app
from conftest import (
    WORKER_COMMAND,
    database_url_for_subprocesses,
    delete_broker_namespace,
    use_broker_namespace,
)
from premium.models import PremiumAccount

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
WORKER_SERVICES = {f"worker-{queue}": queue for queue in QUEUES}
MIGRATE_COMMAND = ["python", "manage.py", "migrate", "--noinput"]


def wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


# Queues -------------------------------------------------------------------------------------------


def registered_task_names() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_task_is_routed_to_one_of_the_three_queues_on_purpose():
    names = registered_task_names()
    assert "premium.tasks.render_statement" in names
    explicit = MapRoute(TASK_ROUTES)
    unrouted = [name for name in names if explicit(name) is None]
    assert unrouted == [], f"add these tasks to config.celery.TASK_ROUTES: {unrouted}"
    for name in names:
        assert app.amqp.router.route({}, name)["queue"].name in QUEUES, name


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("accounts.tasks.record_worker_heartbeat", INTERACTIVE),
        ("spikon.tasks.poll_sms_state", INTERACTIVE),
        ("spikon.tasks.poll_announcement", INTERACTIVE),
        ("spikon.tasks.refresh_monitor", INTERACTIVE),
        ("premium.tasks.render_statement", REPORTS),
        ("premium.tasks.delete_old_statements", REPORTS),
        ("spikon.tasks.run_phonebook_import", REPORTS),
        ("spikon.tasks.poll_call_history_report", REPORTS),
        ("spikon.tasks.order_demo_call_history", REPORTS),
        ("accounts.tasks.send_alert_digest", REPORTS),
        ("premium.tasks.sync_billing", SYNC),
        ("premium.tasks.queue_billing_syncs", SYNC),
        ("spikon.tasks.queue_part2_syncs", SYNC),
        # Names being given now: without "part1/part2", and the shared sweeper.
        ("spikon.tasks.queue_syncs", SYNC),
        ("spikon.tasks.sweep_jobs", SYNC),
        ("providers.tasks.sweep_jobs", SYNC),
    ],
)
def test_each_kind_of_work_goes_to_its_queue(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_a_task_without_a_route_goes_to_the_default_queue_and_is_caught_by_the_routing_test():
    assert MapRoute(TASK_ROUTES)("reports_app.tasks.frobnicate") is None
    assert app.amqp.router.route({}, "reports_app.tasks.frobnicate")["queue"].name == DEFAULT_QUEUE == SYNC


def test_the_start_command_and_the_test_worker_consume_every_queue(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    start = runpy.run_path(str(ROOT / "scripts" / "start"), run_name="start_command")
    assert start["WORKER"] == WORKER_COMMAND
    queues = WORKER_COMMAND[WORKER_COMMAND.index("--queues") + 1]
    assert sorted(queues.split(",")) == sorted(QUEUES)


def pool_processes(pid: int, count: int) -> list[int]:
    """A Celery worker's pool processes, once it has forked `count` of them."""
    found: list[int] = []

    def forked() -> bool:
        found[:] = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return len(found) >= count

    assert wait_for(forked, timeout=30)
    return found


@pytest.mark.worker
@pytest.mark.parametrize("service", sorted(WORKER_SERVICES))
def test_a_worker_service_consumes_its_queue_and_its_health_check_pings_it_alone(
    service, transactional_db, tmp_path
):
    """The service's command and health check, run as docker-compose.yml has them."""
    queue = WORKER_SERVICES[service]
    hostname = socket.gethostname()
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    previous_namespace = use_broker_namespace(namespace)
    worker_env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocesses(),
        "DEBUG": "1",
        "BROKER_NAMESPACE": namespace,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOSTNAME": hostname,  # as Docker sets it in a container
    }
    # Compose reads "$$" as a literal "$": the shell then expands $HOSTNAME.
    check = SERVICES[service]["healthcheck"]["test"][1].replace("$$", "$")

    def health(environment: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["sh", "-c", check], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
        )

    log = (tmp_path / "worker.log").open("w")
    command = SERVICES[service]["command"]
    process = subprocess.Popen(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        assert wait_for(lambda: health(worker_env).returncode == 0, timeout=90), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
        node = f"{queue}@{hostname}"
        replies = app.control.inspect(destination=[node], timeout=5).active_queues()
        assert [q["name"] for q in replies[node]] == [queue]
        # Statements are made at idle CPU priority by the pool; the main process answers pings as usual.
        pool = pool_processes(process.pid, int(command[command.index("--concurrency") + 1]))
        idle = queue == REPORTS
        assert [os.sched_getscheduler(pid) == os.SCHED_IDLE for pid in pool] == [idle] * len(pool)
        assert os.sched_getscheduler(process.pid) == os.SCHED_OTHER
        if queue == INTERACTIVE:
            # Another container's check names another node: it fails although this worker answers.
            assert health({**worker_env, "HOSTNAME": "another-container"}).returncode != 0
            # The heartbeat that readiness reads goes through this queue.
            record_worker_heartbeat.delay()
            assert wait_for(lambda: WorkerHeartbeat.objects.exists()), (tmp_path / "worker.log").read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        use_broker_namespace(previous_namespace)
        delete_broker_namespace(namespace)


@pytest.mark.worker
def test_a_starting_worker_sends_itself_a_heartbeat_so_ready_need_not_wait_for_beat(real_worker, client):
    """Beat's first heartbeat comes a minute after start: until then every deploy (and the start command)
    would be "not ready". The worker queues one through the heartbeat's queue as it starts; no beat runs here."""
    assert wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=60)
    assert client.get("/healthz/ready").status_code == 200


# Health -------------------------------------------------------------------------------------------


def test_live_answers_without_the_database(client):
    # No `db` fixture: any query would raise.
    response = client.get("/healthz/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_when_the_database_the_broker_and_a_recent_heartbeat_answer(client, db):
    WorkerHeartbeat.objects.create(seen_at=timezone.now() - timedelta(seconds=90))
    for path in ("/healthz/ready", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.json()
        assert (body["status"], body["database"], body["broker"], body["worker"]) == ("ok", "ok", "ok", "ok")


def test_not_ready_when_the_worker_heartbeat_is_older_than_the_limit(client, db, settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = timedelta(minutes=5)
    WorkerHeartbeat.objects.create(seen_at=timezone.now() - timedelta(minutes=6))
    for path in ("/healthz/ready", "/healthz"):
        response = client.get(path)
        assert response.status_code == 503, path
        body = response.json()
        assert body["status"] == "error" and body["worker"].startswith("error")
        assert body["database"] == "ok" and body["broker"] == "ok"


def test_not_ready_before_any_worker_ran_the_heartbeat(client, db):
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["worker_last_seen"] is None


def test_not_ready_when_the_broker_is_down(client, db):
    WorkerHeartbeat.objects.create(seen_at=timezone.now())
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz/ready")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready", "/healthz"])
def test_health_checks_refuse_other_methods(client, db, path):
    assert client.post(path).status_code == 405


# Secrets and defaults -----------------------------------------------------------------------------


def test_a_setting_is_read_from_the_file_its_NAME_FILE_names(tmp_path, monkeypatch):
    (tmp_path / "secret_key").write_text("from-a-docker-secret\n")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    assert env.get_str("SECRET_KEY") == "from-a-docker-secret"


def test_a_setting_given_both_ways_is_refused(tmp_path, monkeypatch):
    (tmp_path / "secret_key").write_text("one")
    monkeypatch.setenv("SECRET_KEY", "other")
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    with pytest.raises(ImproperlyConfigured, match="either SECRET_KEY or SECRET_KEY_FILE"):
        env.get_str("SECRET_KEY")


def test_an_unreadable_NAME_FILE_stops_start_up_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("ENCRYPTION_KEYS_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYS_FILE names a file that cannot be read"):
        env.get_list("ENCRYPTION_KEYS")


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("https://panel.example.com/", "https://panel.example.com"),
        ("", ""),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_the_site_address_is_read_without_its_final_slash(monkeypatch, value, read):
    monkeypatch.setenv("SITE_URL", value)
    assert env.get_site_url("SITE_URL") == read


@pytest.mark.parametrize(
    "value", ["panel.example.com", "ftp://panel.example.com", "https://", "https://a.example/?x=1"]
)
def test_a_site_address_that_is_not_one_stops_start_up_naming_it(monkeypatch, value):
    monkeypatch.setenv("SITE_URL", value)
    with pytest.raises(ImproperlyConfigured, match="SITE_URL must be an address"):
        env.get_site_url("SITE_URL")


def run_python(environment: dict[str, str], code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_reads_every_secret_from_files(tmp_path):
    production = production_env(tmp_path)
    secrets = {
        name: production.pop(name) for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL", "EMAIL_URL")
    }
    secrets["EMAIL_URL"] = "smtp://mailer:p%40ss@mail.example.com:587"
    for name, value in secrets.items():
        (tmp_path / name.lower()).write_text(value + "\n")
        production[f"{name}_FILE"] = str(tmp_path / name.lower())
    result = run_python(
        production,
        "import django; django.setup(); from django.conf import settings; from django.db import connection; "
        "print(settings.SECRET_KEY, settings.ENCRYPTION_KEYS[0], connection.settings_dict['NAME'], "
        "settings.EMAIL_HOST_PASSWORD)",
    )
    assert result.returncode == 0, result.stderr
    expected_database = connection.settings_dict["NAME"]
    assert result.stdout.split() == [
        secrets["SECRET_KEY"],
        secrets["ENCRYPTION_KEYS"],
        str(expected_database),
        "p@ss",
    ]


def test_production_without_EMAIL_URL_has_email_off_and_says_so_at_start_up(tmp_path):
    production = production_env(tmp_path)
    del production["EMAIL_URL"]
    code = "import config.wsgi; from django.conf import settings; print(settings.EMAIL_ENABLED, settings.EMAIL_BACKEND)"
    result = run_python(production, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.core.mail.backends.dummy.EmailBackend"]
    assert "Email is off: EMAIL_URL is not set" in result.stderr
    with_email = run_python({**production, "EMAIL_URL": "smtp://mail.example.com:587"}, code)
    assert with_email.stdout.split() == ["True", "django.core.mail.backends.smtp.EmailBackend"]
    assert "Email is off" not in with_email.stderr


# Backup and restore -------------------------------------------------------------------------------


@pytest.fixture
def stored_secret(transactional_db, tenant) -> PremiumAccount:
    return PremiumAccount.objects.create(
        tenant=tenant, email="olga@example.com", api_key="pk-live-0123456789abcdef"
    )


def test_backup_and_restore_bring_back_the_database_and_the_media(stored_secret, tmp_path):
    assert connection.vendor == "postgresql", "backups need PostgreSQL: run the tests with DATABASE_URL"
    media = Path(settings.MEDIA_ROOT)
    (media / "invoices" / "acme").mkdir(parents=True)
    (media / "invoices" / "acme" / "2026-11.pdf").write_bytes(b"%PDF-1.7 invoice")
    out = StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    assert "1 stored secrets sampled, all read with the keys in ENCRYPTION_KEYS" in out.getvalue()
    assert "(1 files)" in out.getvalue()
    assert "pk-live" not in out.getvalue()

    # What happens after the backup is undone by the restore.
    stored_secret.tenant.delete()
    (media / "invoices" / "acme" / "2026-11.pdf").unlink()
    (media / "stray.txt").write_text("written after the backup")

    out = StringIO()
    call_command("restore", str(tmp_path / "backup"), "--noinput", stdout=out)
    assert "1 stored secrets sampled" in out.getvalue()
    account = PremiumAccount.objects.get(tenant__slug="acme")
    assert account.api_key == "pk-live-0123456789abcdef"
    assert (media / "invoices" / "acme" / "2026-11.pdf").read_bytes() == b"%PDF-1.7 invoice"
    assert not (media / "stray.txt").exists()


def test_restore_with_other_keys_says_the_stored_secrets_cannot_be_read(stored_secret, tmp_path, settings):
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(
        CommandError, match=r"cannot read the stored premium\.PremiumAccount\.api_key"
    ) as error:
        call_command("restore", str(tmp_path / "backup"), "--noinput", stdout=StringIO())
    assert "pk-live" not in str(error.value)


def test_backup_wants_a_new_folder_and_restore_a_backup(stored_secret, tmp_path, monkeypatch):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", str(tmp_path / "used"))
    with pytest.raises(CommandError, match=r"is not a backup: database\.dump is missing"):
        call_command("restore", str(tmp_path / "used"), "--noinput")
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    stored_secret.delete()
    with pytest.raises(CommandError, match="Restore cancelled"):
        call_command("restore", str(tmp_path / "backup"))
    assert not PremiumAccount.objects.exists()


# The compose file and the image -------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification():
    validator = jsonschema.Draft7Validator(json.loads((ROOT / "tests" / "compose-spec.json").read_text()))
    assert [error.message for error in validator.iter_errors(COMPOSE)] == []
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["web"]["healthcheck"]["interval"] = 30  # a duration is a string: "30s"
    broken["services"]["beat"]["restart_policy"] = "always"
    assert len(list(validator.iter_errors(broken))) == 2


def test_every_service_runs_the_command_the_tests_run():
    assert SERVICES["web"]["command"] == WEB_COMMAND
    assert SERVICES["beat"]["command"] == BEAT_COMMAND
    assert SERVICES["migrate"]["command"] == MIGRATE_COMMAND
    # The worker services' commands are run as they are written by the worker service test above.
    running_python = {name for name, service in SERVICES.items() if "build" in service}
    assert running_python == {"migrate", "web", "beat", *WORKER_SERVICES}


def test_the_migrate_command_runs(transactional_db):
    result = subprocess.run(
        [sys.executable, *MIGRATE_COMMAND[1:]],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url_for_subprocesses(), "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No migrations to apply" in result.stdout


def test_one_worker_service_per_queue_with_explicit_limits_and_a_single_beat():
    for service, queue in WORKER_SERVICES.items():
        command = SERVICES[service]["command"]
        assert command[:4] == ["celery", "-A", "config", "worker"], service
        options = dict(zip(command[4::2], command[5::2], strict=True))
        assert options["--queues"] == queue and options["--hostname"] == f"{queue}@%h", service
        for limit in ("--concurrency", "--max-tasks-per-child", "--max-memory-per-child"):
            assert int(options[limit]) >= 1, (service, limit)
    workers = {
        name for name, service in SERVICES.items() if service.get("command", [None] * 4)[3:4] == ["worker"]
    }
    assert workers == set(WORKER_SERVICES)
    beats = [
        name for name, service in SERVICES.items() if service.get("command", [None] * 4)[3:4] == ["beat"]
    ]
    assert beats == ["beat"] and "deploy" not in SERVICES["beat"]


def test_the_reports_worker_yields_the_cpu_to_the_web_tier():
    # Each service is a container of its own: the kernel shares the CPU between containers by their
    # weight (cpu_shares, 1024 when unset), and a niceness inside one only orders that container's own
    # processes. Statements (minutes of CPU) then leave the web tier most of a small machine; its pool's
    # idle priority is checked on the running worker (test_a_worker_service_consumes_its_queue...).
    assert "cpu_shares" not in SERVICES["web"]
    assert SERVICES["worker-reports"]["cpu_shares"] <= 1024 // 64
    assert "--niceness" not in SERVICES["worker-reports"]["command"]


def test_each_service_has_a_health_check_of_its_own():
    assert SERVICES["migrate"]["healthcheck"] == {"disable": True}
    assert "http://127.0.0.1:8000/healthz/ready" in SERVICES["web"]["healthcheck"]["test"][-1]
    assert SERVICES["beat"]["healthcheck"]["test"] == ["CMD", *BEAT_HEALTHCHECK]
    for service, queue in WORKER_SERVICES.items():
        assert SERVICES[service]["healthcheck"]["test"] == [
            "CMD-SHELL",
            f"celery -A config inspect ping --destination {queue}@$$HOSTNAME --timeout 10",
        ]


def test_no_default_that_cannot_work():
    passwords = re.findall(r"\$\{POSTGRES_PASSWORD[^}]*\}", COMPOSE_TEXT)
    assert len(passwords) == 2
    assert all(p.startswith("${POSTGRES_PASSWORD:?") for p in passwords), passwords
    assert COMPOSE["x-app"]["environment"]["EMAIL_URL"] == "${EMAIL_URL:-}"


def test_the_image_gives_its_user_the_media_folder_and_checks_web_readiness():
    dockerfile = (ROOT / "Dockerfile").read_text()
    run_stage = dockerfile[dockerfile.rindex("FROM ") :]
    assert "ENV" in run_stage and "DATA_DIR=/data" in run_stage
    made = run_stage.index("mkdir -p /data/media && chown -R dashboard:dashboard /data")
    assert made < run_stage.index("USER dashboard")
    assert "- media:/data/media" in COMPOSE_TEXT
    assert "postgresql-client-15" in run_stage and "image: postgres:15" in COMPOSE_TEXT
    assert "/healthz/ready" in run_stage[run_stage.index("HEALTHCHECK") :]
