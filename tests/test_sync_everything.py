"""The tests' synced tenant is synced like the demo: every sync a page shows the status of has run."""

from __future__ import annotations

import re

import pytest

from accounts import sync
from accounts.models import SyncStatus
from tests.providers import connect, served_providers, sync_everything

# Other tests register syncs of made-up providers; these are the product's.
PROVIDERS = {"premium", "spikon", "sms"}


@pytest.mark.django_db(transaction=True)
def test_sync_everything_runs_every_sync_the_pages_show(tenant):
    with served_providers() as providers:
        connect(tenant, providers)
        sync_everything(tenant, call_history=False)
    synced = set(
        SyncStatus.objects.filter(tenant=tenant, last_success_at__isnull=False).values_list("provider", "resource")
    )
    fixed = {
        key
        for key, kind in sync._KINDS.items()
        if key[0] in PROVIDERS and kind.resource_pattern.pattern == re.escape(key[1])
    }
    assert fixed <= synced, sorted(fixed - synced)
