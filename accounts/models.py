from __future__ import annotations

from datetime import timedelta
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in; what they may do depends on their membership in each tenant."""

    # Set when someone else chose the password (the createuser command): changed at the next login.
    must_change_password = models.BooleanField(default=False)


class Role(models.IntegerChoices):
    """Ordered: a higher role can do everything a lower one can."""

    VIEWER = 10, _("viewer")
    OPERATOR = 20, _("operator")
    ADMIN = 30, _("admin")
    OWNER = 40, _("owner")


TIME_ZONE_CHOICES = sorted((name, name) for name in available_timezones() if "/" in name)

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use 1–50 lowercase letters, digits and hyphens, not starting or ending with a hyphen."),
)


class Tenant(models.Model):
    """An organisation whose provider accounts are managed here."""

    slug = models.SlugField(_("address name"), max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=120)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Warsaw"
    )
    two_factor_required = models.BooleanField(
        _("require two-factor login"),
        default=False,
        help_text=_("Members must confirm each login with a code from an authenticator app."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(_("role"), choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="one_membership_per_user")]
        ordering = ["-role", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.get_role_display()})"


class Invitation(models.Model):
    """An email address invited to join a tenant with a role; the membership is made by the invitee.

    The link's token is stored only as its SHA-256: the link itself exists only in the email. One
    pending invitation per (tenant, address): inviting the address again sends that one anew.
    """

    LIFETIME = timedelta(days=7)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.PositiveSmallIntegerField(_("role"), choices=Role.choices, default=Role.VIEWER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "email"], name="one_invitation_per_address")]

    def __str__(self) -> str:
        return f"{self.email} @ {self.tenant} ({self.get_role_display()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class AuditEvent(models.Model):
    """One change made through the dashboard, at a provider or in the tenant's settings.

    `changes` maps a field to [before, after]; secrets are never stored (see accounts.audit).
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the log still says who did it after the user is deleted.
    username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=False)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="audit_tenant_time"),
            models.Index(fields=["tenant", "action", "-created_at"], name="audit_tenant_action"),
            models.Index(fields=["tenant", "user", "-created_at"], name="audit_tenant_user"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_label}"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task: /healthz and the layout report it."""

    name = models.CharField(max_length=32, unique=True, default="default")
    seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class SyncStatus(models.Model):
    """How the background copy of one provider resource of one tenant is doing.

    One row per (tenant, provider, resource), e.g. ("premium", "numbers") or ("premium",
    "billing-2026-11"). The row is also the lock that keeps two syncs of the same resource
    from overlapping, and it carries the backoff after failures.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sync_statuses")
    provider = models.CharField(max_length=16)
    resource = models.CharField(max_length=64)
    running_since = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    # The last failure was the provider not answering (network, timeout, 5xx), not a refusal.
    failure_unreachable = models.BooleanField(default=False)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "provider", "resource"], name="one_sync_status_per_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.provider}/{self.resource}"

    @property
    def is_running(self) -> bool:
        return self.running_since is not None

    @property
    def is_busy(self) -> bool:
        """Running, or queued and not yet picked up: the page keeps polling."""
        return self.running_since is not None or (
            self.queued_at is not None
            and (self.last_attempt_at is None or self.queued_at > self.last_attempt_at)
        )
