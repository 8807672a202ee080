"""The daily snapshot of every tenant with a provider account, and the retention."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from premium.models import PremiumAccount
from snapshots.capture import take
from snapshots.models import Snapshot
from snapshots.tasks import take_daily_snapshots


def test_a_daily_snapshot_per_tenant_with_an_account_and_old_ones_go(tenant, other_tenant, settings):
    settings.SNAPSHOT_RETENTION_DAYS = 30
    PremiumAccount.objects.create(tenant=tenant, email="biuro@example.pl", api_key="np70x-key-0123456789")
    old = take(tenant, Snapshot.Reason.ON_DEMAND)
    Snapshot.objects.filter(pk=old.pk).update(taken_at=timezone.now() - timedelta(days=31))
    kept = take(tenant, Snapshot.Reason.ON_DEMAND)
    Snapshot.objects.filter(pk=kept.pk).update(taken_at=timezone.now() - timedelta(days=29))

    assert take_daily_snapshots() == 1
    assert set(Snapshot.objects.filter(tenant=tenant).values_list("reason", flat=True)) == {
        Snapshot.Reason.DAILY,
        Snapshot.Reason.ON_DEMAND,
    }
    assert not Snapshot.objects.filter(pk=old.pk).exists()
    assert Snapshot.objects.filter(pk=kept.pk).exists()
    assert not Snapshot.objects.filter(tenant=other_tenant).exists()
