"""Snapshots of a tenant's provider set-up, taken from the local copy, and the rollbacks made from them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant
from providers.jobs import PolledJob


class Part(models.TextChoices):
    """What a snapshot holds, in parts that a rollback restores one by one."""

    PREMIUM_REDIRECTS = "premium.redirects", _("Numery-Premium.PL: redirects of the 70x numbers")
    SPIKON_PHONEBOOKS = "spikon.phonebooks", _("SPIKON: phonebooks and their entries")
    SPIKON_CALL_CENTER = "spikon.call_center", _("SPIKON: agents' campaigns and default outbound campaigns")
    SMS_LIMITS = "sms.limits", _("SerwerSMS.pl: subaccount limits set here")


class Snapshot(models.Model):
    """The tenant's provider set-up at one moment, as the local copy knew it (snapshots.capture)."""

    class Reason(models.TextChoices):
        ON_DEMAND = "on_demand", _("taken on demand")
        DAILY = "daily", _("daily")
        BULK_CHANGE = "bulk_change", _("before a bulk redirect")
        SCHEDULE_SWITCH = "schedule_switch", _("before a schedule switch")
        ROLLBACK = "rollback", _("before a rollback")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField(_("taken"), default=timezone.now)
    reason = models.CharField(_("why"), max_length=16, choices=Reason.choices)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contents = models.JSONField(default=dict)

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["tenant", "taken_at"], name="snapshot_tenant_time")]

    def __str__(self) -> str:
        return f"{self.tenant} {self.taken_at:%Y-%m-%d %H:%M} ({self.reason})"


class Rollback(PolledJob):
    """Restoring parts of a snapshot: the plan's provider calls, made one by one by a worker.

    The row is the truth: `steps` is the plan as confirmed, `results` grows with each call made, and the
    sweeper takes the rollback up again where a worker left it. Each call has its own "act once" record,
    so no call is ever made twice, whoever runs the rollback again.
    """

    FIRST_POLL_DELAY = timedelta(0)
    BACKOFF_BASE = timedelta(seconds=5)
    MAX_ATTEMPTS = 20
    GIVE_UP_AFTER = timedelta(hours=6)
    CLAIM_LEASE = timedelta(minutes=10)  # a plan of many calls, each one short attempt

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    snapshot = models.ForeignKey(Snapshot, null=True, on_delete=models.SET_NULL, related_name="rollbacks")
    snapshot_taken_at = models.DateTimeField()  # kept: the snapshot may go with the retention
    parts = models.JSONField(default=list)
    steps = models.JSONField(default=list)  # snapshots.plan.Step, as dicts
    not_restorable = models.JSONField(default=list)  # snapshots.plan.Gap, as dicts
    results = models.JSONField(default=list)  # one per step made: {"state": ..., "problem": ...}
    confirmation_key = models.CharField(max_length=64)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(PolledJob.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "confirmation_key"], name="rollback_once_per_confirmation"
            )
        ]

    def __str__(self) -> str:
        return f"rollback to {self.snapshot_taken_at:%Y-%m-%d %H:%M} ({self.poll_status})"

    @property
    def percent_done(self) -> int:
        return round(100 * len(self.results) / len(self.steps)) if self.steps else 100
