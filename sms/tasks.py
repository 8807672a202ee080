"""Celery tasks of the SerwerSMS.pl app: the periodic fan-outs and the syncs of one tenant's subaccounts and account."""

from celery import shared_task

from accounts.models import Tenant
from sms import sync


@shared_task
def sync_subaccounts(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's subaccount list (a read: the shared sync state retries it with backoff)."""
    sync.sync_subaccounts(tenant_id)


@shared_task
def sync_account(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's message pool, payments, delivery statistics and notices (a read)."""
    sync.sync_account(tenant_id)


@shared_task
def queue_account_syncs() -> None:
    """Every 10 minutes: queue one account sync per tenant with a SerwerSMS.pl account."""
    for tenant in Tenant.objects.filter(sms_account__isnull=False):
        sync.queue_account(tenant, scheduled=True)


@shared_task
def queue_subaccount_syncs() -> None:
    """Every 15 minutes: queue one sync per tenant with a SerwerSMS.pl account."""
    for tenant in Tenant.objects.filter(sms_account__isnull=False):
        sync.queue(tenant, scheduled=True)
