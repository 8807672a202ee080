"""The demo tenant's SerwerSMS.pl account, pointing at the built-in sandbox (see `manage.py setup_demo`)."""

from __future__ import annotations

from accounts.models import Tenant
from sms import sync
from sms.models import SerwerSmsAccount
from sms.sandbox import DEMO_TOKEN


def set_up_demo(tenant: Tenant, base_url: str) -> None:
    """Idempotent: (re)points the account at `base_url` with the sandbox's demo token and queues its syncs."""
    SerwerSmsAccount.objects.update_or_create(
        tenant=tenant,
        defaults={
            "auth_method": SerwerSmsAccount.AuthMethod.TOKEN,
            "api_token": DEMO_TOKEN,
            "api_username": "",
            "api_password": "",
            "base_url": base_url.rstrip("/"),
        },
    )
    sync.queue(tenant)
    sync.queue_account(tenant)
