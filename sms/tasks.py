"""Celery tasks of the SerwerSMS.pl app: the periodic fan-out and the sync of one tenant's subaccounts."""

from celery import shared_task

from accounts.models import Tenant
from sms import sync


@shared_task
def sync_subaccounts(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's subaccount list (a read: the shared sync state retries it with backoff)."""
    sync.sync_subaccounts(tenant_id)


@shared_task
def queue_subaccount_syncs() -> None:
    """Every 15 minutes: queue one sync per tenant with a SerwerSMS.pl account."""
    for tenant in Tenant.objects.filter(sms_account__isnull=False):
        sync.queue(tenant, scheduled=True)
