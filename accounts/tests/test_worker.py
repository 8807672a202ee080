"""A task queued on commit runs on a real Celery worker against the configured broker (Redis in CI)."""

import time

import pytest
from django.db import transaction

from accounts.models import WorkerHeartbeat
from accounts.tasks import record_worker_heartbeat


def wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
def test_task_queued_on_commit_runs_on_a_real_worker(real_worker):
    with transaction.atomic():
        record_worker_heartbeat.delay_on_commit()
        # Nothing is queued until the transaction commits.
        assert not WorkerHeartbeat.objects.exists()
    found = wait_for(lambda: WorkerHeartbeat.objects.filter(name="default").exists())
    assert found, real_worker.log_path.read_text()[-3000:]
    assert real_worker.process.poll() is None


def test_a_rolled_back_transaction_queues_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        record_worker_heartbeat.delay_on_commit()
        raise RuntimeError("roll back")
    assert callbacks == []
