"""Celery tasks: the background syncs of Numery-Premium.PL data and the fan-outs that beat runs; what
callers paid recounted after a number was bought or deleted; the PDF statements.

Every sync task has the shared signature `task(tenant_id, resource)` and runs under
accounts.sync.syncing, which holds the resource's lock and records success or the provider's error.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.sync import SyncSkipped, queue_sync, syncing
from premium import billing, totals
from premium import sync as premium_sync
from premium.client import PROVIDER
from premium.models import PremiumAccount, Repricing, Statement
from premium.sync import SYNC_KEY
from provider_api.errors import AuthenticationError
from provider_api.parsing import WARSAW

logger = logging.getLogger(__name__)


def _run(tenant_id: int, resource: str, kind: str) -> None:
    account = PremiumAccount.objects.filter(tenant_id=tenant_id).first()
    try:
        with syncing(tenant_id, SYNC_KEY, resource):
            if kind != "billing" and resource != kind:
                raise ValueError(f"not a {kind} resource: {resource!r}")
            if account is None or not account.is_configured:
                raise AuthenticationError("no email and API key are set", provider=PROVIDER)
            saved = premium_sync.SYNCS[kind](account, resource)
            logger.info("premium %s of tenant %s: %s", resource, tenant_id, saved)
    except SyncSkipped as skipped:
        logger.info("%s", skipped)


@shared_task
def sync_numbers(tenant_id: int, resource: str) -> None:
    _run(tenant_id, resource, "numbers")


@shared_task
def sync_balance(tenant_id: int, resource: str) -> None:
    _run(tenant_id, resource, "balance")


@shared_task
def sync_billing(tenant_id: int, resource: str) -> None:
    """`resource` names the month: "billing-2025-06"."""
    _run(tenant_id, resource, "billing")


@shared_task
def sync_wallet(tenant_id: int, resource: str) -> None:
    _run(tenant_id, resource, "wallet")


@shared_task
def sync_invoices(tenant_id: int, resource: str) -> None:
    _run(tenant_id, resource, "invoices")


def _configured_accounts():
    return PremiumAccount.objects.exclude(api_key="").exclude(email="").select_related("tenant").iterator()


@shared_task
def queue_scheduled_syncs(resources: list[str]) -> int:
    """Fan-out: queue one sync of each resource per configured account; returns how many were queued."""
    queued = 0
    for account in _configured_accounts():
        for resource in resources:
            queued += queue_sync(account.tenant, SYNC_KEY, resource, scheduled=True)
    return queued


def billing_months_due() -> list[str]:
    """The current month, and on a month's first day also the previous one: its last calls may come late."""
    now = timezone.now().astimezone(WARSAW)
    months = [premium_sync.billing_resource(now.year, now.month)]
    if now.day == 1:
        previous = now.replace(day=1) - timedelta(days=1)
        months.append(premium_sync.billing_resource(previous.year, previous.month))
    return months


@shared_task
def queue_billing_syncs() -> int:
    """Fan-out: queue the billing sync of the current month per configured account."""
    return queue_scheduled_syncs(billing_months_due())


@shared_task
def reprice_totals(repricing_id: int) -> None:
    """Recount what callers paid on a bought or deleted number's days, if this delivery claims the job."""
    job = Repricing.claim(repricing_id)
    if job is not None:
        totals.reprice_claimed(job)


# --- PDF statements --------------------------------------------------------------------------------

STATEMENTS_KEPT = timedelta(days=7)


@shared_task
def render_statement(statement_id: int) -> None:
    """Make a PDF statement, if this delivery of the task claims it (premium.billing.make_statement)."""
    statement = Statement.claim(statement_id)
    if statement is not None:
        billing.make_statement(statement)


@shared_task
def delete_old_statements() -> int:
    """Statements are made to be downloaded: after STATEMENTS_KEPT they and their files go."""
    old = Statement.objects.filter(created_at__lt=timezone.now() - STATEMENTS_KEPT)
    for statement in old.exclude(file=""):
        statement.file.delete(save=False)
    deleted, _ = old.delete()
    return deleted
