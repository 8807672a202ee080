"""Celery tasks of the snapshots: rollbacks (ids in) and the daily snapshot with the retention."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Tenant
from premium.models import PremiumAccount
from sms.models import SerwerSmsAccount
from snapshots import services
from snapshots.capture import delete_expired, take
from snapshots.models import Snapshot
from spikon.models import SpikonAccount


@shared_task
def run_rollback(rollback_id: int) -> None:
    services.run(rollback_id)


@shared_task
def take_daily_snapshots() -> int:
    """One snapshot a day of every tenant with a provider account, then the old ones go."""
    with_accounts = set()
    for model in (PremiumAccount, SpikonAccount, SerwerSmsAccount):
        with_accounts.update(model.objects.values_list("tenant_id", flat=True))
    tenants = Tenant.objects.filter(pk__in=with_accounts)
    taken = 0
    for tenant in tenants:
        take(tenant, Snapshot.Reason.DAILY)
        taken += 1
    delete_expired()
    return taken
