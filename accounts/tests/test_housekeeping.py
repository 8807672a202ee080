"""The daily housekeeping task removes what is past keeping, and nothing else."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import housekeeping
from accounts.models import AuditEvent, Invitation, Role
from accounts.tasks import housekeeping as housekeeping_task


def _session(expire_in: timedelta) -> str:
    store = SessionStore()
    store.set_expiry(timezone.now() + expire_in)
    store.create()
    return store.session_key


def _invitation(tenant, email: str, expires_in: timedelta) -> Invitation:
    return Invitation.objects.create(
        tenant=tenant, email=email, role=Role.VIEWER, token_hash=email.ljust(64, "0"),
        expires_at=timezone.now() + expires_in,
    )  # fmt: skip


def _attempt(model, age: timedelta, username: str):
    extra = {"failures_since_start": 1} if model is AccessAttempt else {}
    row = model.objects.create(username=username, ip_address="192.0.2.1", user_agent="test", **extra)
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - age)
    return row


def _event(tenant, age: timedelta, action: str) -> AuditEvent:
    return AuditEvent.objects.create(tenant=tenant, action=action, created_at=timezone.now() - age)


def test_housekeeping_removes_only_what_is_past_keeping(tenant, other_tenant, monkeypatch, settings):
    monkeypatch.setattr(housekeeping, "BATCH", 2)  # several batches of each kind
    settings.AUDIT_RETENTION_DAYS = 30
    expired = [_session(timedelta(seconds=-1)) for _ in range(3)]
    live = _session(timedelta(hours=1))
    _invitation(tenant, "old@example.com", timedelta(seconds=-1))
    _invitation(tenant, "new@example.com", timedelta(days=6))
    for n in range(3):
        _attempt(AccessAttempt, timedelta(days=91), f"old-{n}")
        _attempt(AccessLog, timedelta(days=91), f"old-{n}")
    _attempt(AccessAttempt, timedelta(days=89), "recent")
    for owner_tenant in (tenant, other_tenant):
        for n in range(3):
            _event(owner_tenant, timedelta(days=31), f"old.{n}")
        _event(owner_tenant, timedelta(days=29), "recent")

    housekeeping_task()

    assert not Session.objects.filter(session_key__in=expired).exists()
    assert Session.objects.filter(session_key=live).exists()
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new@example.com"]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["recent"]
    assert not AccessLog.objects.exists()
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == ["recent", "recent"]


def test_housekeeping_runs_daily_and_keeps_two_years_of_audit_by_default():
    assert settings.CELERY_BEAT_SCHEDULE["housekeeping"] == {
        "task": "accounts.tasks.housekeeping",
        "schedule": 24 * 60 * 60.0,
    }
    assert settings.AUDIT_RETENTION_DAYS == 730
