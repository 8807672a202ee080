"""Fixtures every app's tests share: a tenant with one member of each role, and an outsider."""

from __future__ import annotations

import os

import pytest

from accounts.models import Membership, Role, Tenant, User

# Playwright's sync API runs an event loop in the test thread; live_server tests touch the ORM from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-9"


def pytest_configure(config):
    """Each pytest-xdist process (scripts/test runs one per core) gets a Redis database of its own.

    The cache's clear() empties a whole database, broker messages included: two processes sharing one
    would wipe each other's throttle counts and queued tasks. The database of REDIS_URL is the first
    process's, the next ones take the following numbers; workers and servers started by a test inherit it
    through the environment. (pytest-django gives each process its own test database the same way.)
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    redis_url = os.environ.get("REDIS_URL")
    if worker and redis_url:
        _use_redis_database(redis_url, offset=int(worker.removeprefix("gw")))


def _use_redis_database(redis_url: str, offset: int) -> None:
    from urllib.parse import urlsplit, urlunsplit

    from django.conf import settings

    from config.celery import app

    parts = urlsplit(redis_url)
    database = int(parts.path.strip("/") or 0) + offset
    url = urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))
    os.environ["REDIS_URL"] = url
    settings.REDIS_URL = url
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
    settings.CELERY_BROKER_URL = url
    app.conf.broker_url = url


def make_member(tenant: Tenant, username: str, role: Role) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com")
    Membership.objects.create(user=user, tenant=tenant, role=role)
    return user


@pytest.fixture
def tenant(db) -> Tenant:
    return Tenant.objects.create(slug="acme", name="Acme Telecom")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return Tenant.objects.create(slug="rival", name="Rival Sp. z o.o.")


@pytest.fixture
def owner(tenant) -> User:
    return make_member(tenant, "olga-owner", Role.OWNER)


@pytest.fixture
def tenant_admin(tenant) -> User:
    return make_member(tenant, "adam-admin", Role.ADMIN)


@pytest.fixture
def operator(tenant) -> User:
    return make_member(tenant, "ola-operator", Role.OPERATOR)


@pytest.fixture
def viewer(tenant) -> User:
    return make_member(tenant, "wiktor-viewer", Role.VIEWER)


@pytest.fixture
def outsider(other_tenant) -> User:
    """The owner of another tenant: logged in, powerful elsewhere, a stranger here."""
    return make_member(other_tenant, "obcy-outsider", Role.OWNER)


@pytest.fixture
def members(owner, tenant_admin, operator, viewer) -> dict[Role, User]:
    return {Role.OWNER: owner, Role.ADMIN: tenant_admin, Role.OPERATOR: operator, Role.VIEWER: viewer}


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user."""

    def _login(user: User):
        client.force_login(user)
        return client

    return _login


_broker_namespace = {"in use": ""}


def use_broker_namespace(namespace: str) -> str:
    """Send this process's tasks under a broker namespace of their own (see config.celery); returns the
    namespace used until now.

    Celery keeps a connection and a producer pool per app: forgetting them makes the next task take the
    new options. The pools themselves are kombu's, shared per options, and stay open for later tests.
    """
    from django.conf import settings

    from config.celery import app, broker_transport_options

    app.conf.broker_transport_options = broker_transport_options(
        str(app.conf.broker_url).startswith("redis"), settings.DATA_DIR, namespace
    )
    app._pool = None
    app.amqp._producer_pool = None
    previous, _broker_namespace["in use"] = _broker_namespace["in use"], namespace
    return previous


def delete_broker_namespace(namespace: str) -> None:
    """Every message and key left under a namespace, at the end of the test run or test that made it."""
    import shutil

    import redis
    from django.conf import settings

    from config.celery import app

    if not namespace:
        raise ValueError("only a namespace of its own is deleted, never the whole broker")
    if str(app.conf.broker_url).startswith("redis"):
        broker = redis.Redis.from_url(app.conf.broker_url)
        for key in broker.scan_iter(match=f"{namespace}:*"):
            broker.delete(key)
    else:
        shutil.rmtree(settings.DATA_DIR / "broker" / namespace, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _tasks_stay_in_this_test_run():
    """Tasks that tests queue stay under a broker namespace of this run only, deleted at the end.

    So a developer's running worker never picks up a test's task, and no message outlives the run.
    (`real_worker` switches to a namespace of its own test and back.)
    """
    import uuid

    namespace = f"test-run-{uuid.uuid4().hex[:12]}"
    use_broker_namespace(namespace)
    yield
    use_broker_namespace("")
    delete_broker_namespace(namespace)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Stored files (invoices, recordings, audio) that tests write never land in the data folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords; tests need none of it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def database_url_for_subprocesses() -> str:
    """The test database as a DATABASE_URL, for a worker or a server started by a test."""
    from django.db import connection

    config = connection.settings_dict
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{config.get('HOST') or '127.0.0.1'}:{port}/{config['NAME']}"


@pytest.fixture
def worker_environment() -> dict[str, str]:
    """Extra environment for `real_worker`'s process; a test module overrides it (e.g. a broker of its own)."""
    return {}


# The worker command of the start command (scripts/start): one worker consuming every queue. The solo
# pool makes the process that a test kills the one that runs the task.
WORKER_COMMAND = [
    "celery",
    "-A",
    "config",
    "worker",
    "--queues",
    "interactive,sync,reports",
    "--loglevel",
    "INFO",
]


@pytest.fixture
def real_worker(transactional_db, tmp_path, worker_environment):
    """A real Celery worker process on the configured broker, consuming every queue under a broker
    namespace of this test's own.

    Yields a function that stops the worker (idempotent), so a test can kill it mid-work; its
    `start_again()` starts a new worker process on the same queues once the first has stopped.
    """
    import signal
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from django.conf import settings

    namespace = f"test-{uuid.uuid4().hex[:12]}"
    previous_namespace = use_broker_namespace(namespace)
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocesses(),
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
        # Tasks the worker queues itself (the next poll of a job) stay in this test's namespace too.
        "BROKER_NAMESPACE": namespace,
        **worker_environment,
    }
    celery = str(Path(sys.executable).parent / "celery")
    log = (tmp_path / "worker.log").open("w")

    def start() -> subprocess.Popen:
        # Started directly (no shell), so that `process.pid` is the worker's own PID.
        return subprocess.Popen(
            [
                celery,
                *WORKER_COMMAND[1:],
                "--pool",
                "solo",
                "--hostname",
                f"{namespace}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(sig: int = signal.SIGTERM) -> None:
        process = stop.process
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def start_again() -> None:
        if stop.process.poll() is None:
            raise RuntimeError("the worker is still running: stop it first")
        stop.process = start()

    stop.log_path = tmp_path / "worker.log"
    stop.process = start()
    stop.start_again = start_again
    try:
        yield stop
    finally:
        stop()
        log.close()
        use_broker_namespace(previous_namespace)
        delete_broker_namespace(namespace)
