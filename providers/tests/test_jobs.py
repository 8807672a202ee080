"""Every background job is a PolledJob registered with the one sweeper, which queues each kind's overdue
rows again (a lost message, a flushed broker, a worker that died mid-way)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import import_string

from premium.models import PremiumAccount, Statement
from providers import tasks
from providers.jobs import PolledJob, registered_jobs, resume_waiting_for_credentials
from spikon.models import CallDirection, CallHistoryReport, SpikonAccount

pytestmark = pytest.mark.django_db


def test_every_kind_of_job_is_registered_with_the_sweeper():
    kinds = {model for model in apps.get_models() if issubclass(model, PolledJob)}
    registered = {kind.model for kind in registered_jobs()}
    assert kinds == registered and Statement in registered
    for kind in registered_jobs():
        assert callable(import_string(kind.task).delay)
        if kind.settle:
            assert callable(import_string(kind.settle))


def test_the_sweeper_queues_a_lost_statement_and_one_whose_worker_died(tenant, monkeypatch):
    now = timezone.now()
    lost = Statement.objects.create(
        tenant=tenant, year=2025, month=6, next_poll_at=now - timedelta(minutes=5)
    )
    abandoned = Statement.objects.create(
        tenant=tenant,
        year=2025,
        month=6,
        state=Statement.State.RENDERING,
        poll_status=Statement.PollStatus.POLLING,
        claimed_until=now - timedelta(seconds=1),
        next_poll_at=None,
    )
    Statement.objects.create(
        tenant=tenant, year=2025, month=6
    )  # just asked for: its own message is on its way
    Statement.objects.create(
        tenant=tenant,
        year=2025,
        month=6,
        state=Statement.State.RENDERING,
        poll_status=Statement.PollStatus.POLLING,
        claimed_until=now + Statement.CLAIM_LEASE,
        next_poll_at=None,
    )  # being made
    nudged = []
    monkeypatch.setattr(import_string("premium.tasks.render_statement"), "delay", nudged.append)

    tasks.sweep_jobs()

    assert sorted(nudged) == sorted([lost.pk, abandoned.pk])


def test_a_test_connection_resumes_only_its_tenants_jobs_of_its_provider(tenant, other_tenant):
    def waiting_report(owner) -> CallHistoryReport:
        return CallHistoryReport.objects.create(
            tenant=owner,
            provider_report_id=7,
            direction=CallDirection.BOTH,
            date_start="2026-11-01",
            date_end="2026-11-30",
            poll_status=CallHistoryReport.PollStatus.CREDENTIALS,
            attempts=4,
            last_error="SPIKON -3: Unknown API key",
        )

    ours, theirs = waiting_report(tenant), waiting_report(other_tenant)
    assert {kind.model: kind.account for kind in registered_jobs()}[CallHistoryReport] is SpikonAccount
    assert {kind.model: kind.account for kind in registered_jobs()}[Statement] is None  # makes no calls

    assert resume_waiting_for_credentials(PremiumAccount(tenant=tenant)) == 0  # another provider's test
    assert resume_waiting_for_credentials(SpikonAccount(tenant=tenant)) == 1

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.poll_status, ours.attempts, ours.last_error) == ("waiting", 0, "")
    assert ours.next_poll_at <= timezone.now() and ours.provider_report_id == 7
    assert theirs.poll_status == "credentials" and theirs.last_error
