"""A full statement whose Celery message was lost (a flushed broker) is queued again by the one sweeper
and made by a real worker: the row is the truth, as for every background job."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.test_worker import wait_for
from premium.models import Statement
from premium.tests.test_statements import MONTH, YEAR, store_calls
from providers.tasks import sweep_jobs
from tests.faults import recording_queued_tasks


@pytest.mark.worker
def test_a_statement_whose_message_was_lost_is_made_after_the_sweeper_queues_it(
    real_worker, tenant, login, viewer, monkeypatch
):
    store_calls(tenant, 25)
    with recording_queued_tasks(monkeypatch) as lost:  # the message never reaches the broker
        response = login(viewer).post(
            reverse("premium:statement-request", kwargs={"tenant_slug": tenant.slug})
            + f"?year={YEAR}&month={MONTH}"
        )
    assert response.status_code == 302 and lost.sent
    statement = Statement.objects.get(tenant=tenant)
    time.sleep(1)
    assert Statement.objects.get(pk=statement.pk).state == Statement.State.QUEUED  # nothing moves by itself

    # As beat would, once the job has been due for longer than the sweeper's grace.
    Statement.objects.filter(pk=statement.pk).update(next_poll_at=timezone.now() - timedelta(minutes=5))
    sweep_jobs()

    made = Statement.objects.filter(pk=statement.pk, state=Statement.State.READY)
    assert wait_for(made.exists), real_worker.log_path.read_text()[-3000:]
    assert made.get().calls == 25 and made.get().file
