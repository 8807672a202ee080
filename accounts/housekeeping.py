"""Removing what is no longer needed: expired sessions and invitations, old login attempts, old audit events.

Each kind is deleted in batches of BATCH rows, each batch its own transaction, so that a large first run
never holds long locks or one huge transaction.
"""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Tenant

BATCH = 1000
LOGIN_ATTEMPTS_KEPT = timedelta(days=90)


def delete_in_batches(rows: QuerySet) -> int:
    """Delete the rows of `rows` BATCH at a time; returns how many were deleted."""
    deleted = 0
    while True:
        keys = list(rows.values_list("pk", flat=True)[:BATCH])
        if not keys:
            return deleted
        rows.model.objects.filter(pk__in=keys).delete()
        deleted += len(keys)


def clean_up() -> dict[str, int]:
    """Run every removal; returns the number of rows removed by kind (for the worker's log)."""
    now = timezone.now()
    attempts_before = now - LOGIN_ATTEMPTS_KEPT
    audit_before = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    removed = {
        "sessions": delete_in_batches(Session.objects.filter(expire_date__lt=now)),
        "invitations": delete_in_batches(Invitation.objects.filter(expires_at__lt=now)),
        "login attempts": sum(
            delete_in_batches(model.objects.filter(attempt_time__lt=attempts_before))
            for model in (AccessAttempt, AccessFailureLog, AccessLog)
        ),
        # Tenant by tenant: the audit log's index starts with the tenant.
        "audit events": sum(
            delete_in_batches(AuditEvent.objects.filter(tenant_id=tenant_id, created_at__lt=audit_before))
            for tenant_id in Tenant.objects.values_list("pk", flat=True)
        ),
    }
    return removed
