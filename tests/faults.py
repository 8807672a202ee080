"""What the per-app fault tables (`<app>/tests/test_faults.py`) share: the faults, how to inject them,
what the operator must read, and how to prove that nothing changed and nothing was queued.

"Connection refused" points the account at a loopback port nobody listens on; the other kinds are the
sandboxes' own `set_fault` kinds. Client timeouts are cut to fractions of a second, so that a "timeout"
fault costs the table little.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.utils import timezone

from accounts.models import SyncStatus
from provider_api.http import HttpTransport

FAULTS = ("refused", "timeout", "500", "html", "maintenance", "truncated", "broken_off", "auth")
# The kinds in which the provider did not give an answer we can read: "not answering since …".
UNREACHABLE = frozenset(FAULTS) - {"auth"}

CLIENT_TIMEOUT = (1.0, 0.2)  # (connect, read) seconds, for every client the tests build
SANDBOX_HANG_SECONDS = 0.5  # how long a sandbox's "timeout" fault sleeps before it answers (and acts)

# The operator's words (Polish, the default language) for each fault: what happened, the same for a read
# and for a call that acts (accounts.provider_errors.explain); what follows says whether it may have acted.
POLISH_SENTENCE = {
    "refused": "Nie udało się połączyć z dostawcą.",
    "timeout": "Dostawca nie odpowiedział na czas.",
    "500": "Serwer dostawcy odpowiedział błędem.",
    "html": "Dostawca przysłał stronę WWW zamiast odpowiedzi",
    "maintenance": "Dostawca przysłał stronę WWW zamiast odpowiedzi",
    "truncated": "Odpowiedź dostawcy była ucięta albo nie dała się odczytać.",
    "broken_off": "Odpowiedź dostawcy była ucięta albo nie dała się odczytać.",
}
# A refused login is explained by each provider's own code: Numery-Premium.PL 401, SPIKON -3, SerwerSMS.pl 1001.
POLISH_REFUSED_LOGIN = (
    "Serwis Numery-Premium.PL odmówił dostępu.",
    "SPIKON nie zna tego klucza API",
    "SerwerSMS.pl nie zna tego użytkownika API ani tokenu.",
)
# Then the provider's own words, or, when no answer came, our details.
POLISH_PROVIDER_SAYS = "Odpowiedź dostawcy:"
POLISH_DETAILS = "Szczegóły:"
POLISH_LABEL = {
    fault: POLISH_DETAILS if fault in ("refused", "timeout") else POLISH_PROVIDER_SAYS for fault in FAULTS
}
POLISH_NOT_ANSWERING_SINCE = "Dostawca nie odpowiada od"
POLISH_SYNC_FAILING_SINCE = "Synchronizacja z dostawcą nie udaje się od"


def use_short_timeouts(monkeypatch) -> None:
    """Every provider client built from now on waits CLIENT_TIMEOUT and retries reads without pausing."""
    original = HttpTransport.__init__

    def short(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        self.timeout = CLIENT_TIMEOUT
        self.backoff = 0.0

    monkeypatch.setattr(HttpTransport, "__init__", short)


def closed_port_url() -> str:
    """A loopback address where the connection is refused (a port just freed, nobody listens)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def inject(fault: str, sandbox, path: str, point_account_at: Callable[[str], None]) -> None:
    """Make the next calls to `path` fail with `fault`."""
    if fault == "refused":
        point_account_at(closed_port_url())
    else:
        sandbox.fault_timeout_seconds = SANDBOX_HANG_SECONDS
        sandbox.set_fault(path, fault)


def assert_clear_message(text: str, fault: str) -> None:
    """The page explains the fault in Polish with the provider's words, and shows no error page."""
    assert "Traceback" not in text and "Server Error (500)" not in text
    if fault == "auth":
        assert any(sentence in text for sentence in POLISH_REFUSED_LOGIN), text[-3000:]
    else:
        assert POLISH_SENTENCE[fault] in text, text[-3000:]
    assert POLISH_LABEL[fault] in text


def snapshot(app_label: str, *, skip: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """Every row of every model of the app (the test database holds only this test's), but `skip`'s."""
    rows = {}
    for model in apps.get_app_config(app_label).get_models():
        if model.__name__ not in skip:
            rows[model.__name__] = list(model.objects.order_by("pk").values())
    return rows


def files_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in Path(root).rglob("*") if path.is_file()}


def assert_failure_recorded(status: SyncStatus, fault: str) -> None:
    """One failure, with its reason, waiting a minute (the first backoff) before the next attempt."""
    now = timezone.now()
    assert status.running_since is None
    assert status.consecutive_failures == 1 and status.failing_since is not None
    assert status.last_error, "the reason is recorded"
    assert status.failure_unreachable == (fault in UNREACHABLE)
    assert now + timedelta(seconds=50) < status.next_retry_at <= now + timedelta(minutes=1)


class QueuedTasks:
    """Records every task sent to the broker (delay, apply_async, send_task) instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple]] = []

    def names(self) -> list[str]:
        return [name for name, _args in self.sent]


@contextmanager
def recording_queued_tasks(monkeypatch) -> Iterator[QueuedTasks]:
    from celery.app.task import Task

    from config.celery import app

    queued = QueuedTasks()

    def apply_async(task, args=None, kwargs=None, **options):
        queued.sent.append((task.name, tuple(args or ())))

    def send_task(name, args=None, kwargs=None, **options):
        queued.sent.append((name, tuple(args or ())))

    with monkeypatch.context() as patch:
        patch.setattr(Task, "apply_async", apply_async)
        patch.setattr(app, "send_task", send_task)
        yield queued


def use_broker_down(monkeypatch) -> None:
    """From now on the Celery app's broker is a closed port: every task queued fails to be sent."""
    from config.celery import app

    monkeypatch.setattr(app.conf, "broker_url", closed_port_url().replace("http://", "redis://") + "/0")
    # The connection and producer pools of the old broker, made by earlier tests in this process.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
