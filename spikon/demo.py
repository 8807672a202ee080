"""The demo tenant's SPIKON account, pointing at the built-in sandbox (see `manage.py setup_demo`)."""

from __future__ import annotations

from accounts.models import Tenant
from spikon import sync
from spikon.models import SpikonAccount
from spikon.sandbox import DEMO_API_KEY
from spikon.tasks import order_demo_call_history


def set_up_demo(tenant: Tenant, base_url: str) -> None:
    """Idempotent: (re)points the account at `base_url` with the sandbox's demo key and queues the syncs."""
    SpikonAccount.objects.update_or_create(
        tenant=tenant, defaults={"api_key": DEMO_API_KEY, "base_url": base_url.rstrip("/")}
    )
    # The sandbox starts afresh with every start, so the local copy is refreshed at once; and, the first
    # time, a call history of 90 days is ordered.
    for resource in sync.RESOURCES:
        sync.queue(tenant, resource)
    order_demo_call_history.delay_on_commit(tenant.pk)
