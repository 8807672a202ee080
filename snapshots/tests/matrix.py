"""Objects the role-matrix test needs for the snapshots' URLs that take an id."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Tenant
from snapshots.capture import take
from snapshots.models import Rollback, Snapshot


def a_snapshot(tenant: Tenant) -> dict[str, int]:
    return {"snapshot_id": take(tenant, Snapshot.Reason.ON_DEMAND).pk}


def a_rollback(tenant: Tenant) -> dict[str, int]:
    snapshot = take(tenant, Snapshot.Reason.ON_DEMAND)
    rollback = Rollback.objects.create(
        tenant=tenant,
        snapshot=snapshot,
        snapshot_taken_at=snapshot.taken_at,
        confirmation_key=f"matrix-{Rollback.objects.count()}",
        poll_status=Rollback.PollStatus.FINISHED,
        finished_at=timezone.now(),
    )
    return {"rollback_id": rollback.pk}


OBJECTS = {
    "snapshots:detail": a_snapshot,
    "snapshots:rollback": a_snapshot,
    "snapshots:rollback-detail": a_rollback,
}
