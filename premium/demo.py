"""The demo tenant's Numery-Premium.PL account: it points at the built-in sandbox (config.sandboxes)."""

from __future__ import annotations

from accounts.models import Tenant
from accounts.sync import queue_sync
from premium.models import PremiumAccount
from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL
from premium.sync import SYNC_KEY, billing_resource, current_month

DEMO_MONTHS = 3  # the sandbox's demo billing: the current month and the two before it


def demo_billing_resources() -> list[str]:
    year, month = current_month()
    resources = []
    for _ in range(DEMO_MONTHS):
        resources.append(billing_resource(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return resources


def set_up_demo(tenant: Tenant, base_url: str) -> None:
    """Create or repoint the demo account at `base_url` and queue the first syncs (idempotent)."""
    account, _ = PremiumAccount.objects.update_or_create(
        tenant=tenant,
        defaults={"email": DEMO_EMAIL, "api_key": DEMO_API_KEY, "base_url": base_url.rstrip("/")},
    )
    # The sandbox starts afresh with every start: what the last run bought or deleted is gone there.
    for resource in ("numbers", "balance", "wallet", "invoices", *demo_billing_resources()):
        queue_sync(account.tenant, SYNC_KEY, resource)
