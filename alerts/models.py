"""Alert rules, the alerts they raise, where the tenant wants to be told (members by email, its own URLs by
signed webhooks), and every notification sent: one row each, the truth for its retries."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import EncryptedTextField
from accounts.models import Tenant
from providers.formatting import EMPTY, amount, money
from providers.jobs import PolledJob


class RuleKind(models.TextChoices):
    PREMIUM_WALLET_BELOW = "premium_wallet_below", _("Numery-Premium.PL wallet below (zł, net)")
    SPIKON_BALANCE_BELOW = "spikon_balance_below", _("SPIKON balance below (zł)")
    SMS_POOL_BELOW = "sms_pool_below", _("SerwerSMS.pl messages left below (messages of one type)")
    INVOICE_UNPAID = "invoice_unpaid", _("Invoice unpaid (days after its due date; negative: before)")
    SYNC_FAILING = "sync_failing", _("Sync failing for more than (hours)")
    SIP_UNREGISTERED = "sip_unregistered", _("SIP account unregistered for more than (minutes)")
    DEAD_REDIRECT = "dead_redirect", _("70x number with calls and none answered in the last (hours)")
    REVENUE_DROP = (
        "revenue_drop",
        _("Billed minutes today below (percent of the same weekday's 4-week average)"),
    )


class AlertRule(models.Model):
    """One condition the tenant wants to be told about; `threshold` is in the unit its kind names."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alert_rules")
    kind = models.CharField(_("condition"), max_length=24, choices=RuleKind.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=12, decimal_places=2)
    # SerwerSMS.pl message type for the pool rule (eco, full, …); blank for the other kinds.
    message_type = models.CharField(_("message type"), max_length=20, blank=True)
    enabled = models.BooleanField(_("on"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "message_type", "id"]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return (
            f"{label} [{self.message_type}]: {self.threshold_shown}"
            if self.message_type
            else f"{label}: {self.threshold_shown}"
        )

    @property
    def threshold_shown(self) -> str:
        return rule_figure(self.kind, self.threshold)


class Alert(models.Model):
    """A rule's condition about one thing (`subject_key`: a message type, an invoice, a SIP account…).

    Seen first at `condition_since`; `fired_at` once it has held long enough (the moment people are told);
    `cleared_at` when it ended (told again, if it had fired). A condition that ends before firing leaves no
    alert. At most one alert per rule and thing is not cleared, so an alert fires once and stays open.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    subject_key = models.CharField(max_length=100)
    # The thing's plain name (not translated: the title is made in the reader's language, see `title`).
    subject = models.CharField(_("about"), max_length=200)
    # What was measured, in the rule's unit, when it fired and as last seen; and the rule's threshold then.
    value_at_fire = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    threshold = models.DecimalField(max_digits=12, decimal_places=2)
    condition_since = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key"],
                condition=Q(cleared_at__isnull=True),
                name="alerts_one_open_alert_per_subject",
            )
        ]
        indexes = [models.Index(fields=["tenant", "-fired_at"], name="alerts_alert_recent")]

    def __str__(self) -> str:
        return f"{self.rule.get_kind_display()}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.fired_at is not None and self.cleared_at is None

    @property
    def title(self) -> str:
        """What the alert is about, in the active language (the viewer's, or the emailed member's)."""
        return alert_title(self.rule.kind, self.subject)

    @property
    def figures(self) -> dict[str, str]:
        """The threshold and the measured figures, as people read them in the active language."""
        return {
            name: rule_figure(self.rule.kind, getattr(self, name))
            for name in ("threshold", "value_at_fire", "value")
        }


def rule_figure(kind: str, value: Decimal | str | None) -> str:
    """A threshold or a measured figure in its rule's unit, as people read it: `1 234,56 zł` in Polish."""
    if kind in (RuleKind.PREMIUM_WALLET_BELOW, RuleKind.SPIKON_BALANCE_BELOW):
        return money(value)
    if value is None or value == "":
        return EMPTY
    number = Decimal(value)
    return amount(number, 0 if number == number.to_integral_value() else 2)


def alert_title(kind: str, subject: str) -> str:
    """An alert's title from its rule kind and the plain name of its thing (a number, a message type…)."""
    titles = {
        RuleKind.PREMIUM_WALLET_BELOW: _("Numery-Premium.PL wallet low"),
        RuleKind.SPIKON_BALANCE_BELOW: _("SPIKON balance low"),
        RuleKind.SMS_POOL_BELOW: _("SerwerSMS.pl messages running out: %(subject)s"),
        RuleKind.INVOICE_UNPAID: _("Unpaid invoice: %(subject)s"),
        RuleKind.SYNC_FAILING: _("Sync failing: %(subject)s"),
        RuleKind.SIP_UNREGISTERED: _("SIP account not registered: %(subject)s"),
        RuleKind.DEAD_REDIRECT: _("No call answered: %(subject)s"),
        RuleKind.REVENUE_DROP: _("Billed minutes today below usual: %(subject)s"),
    }
    if kind == RuleKind.REVENUE_DROP and not subject:
        return str(_("Billed minutes today below usual"))  # the tenant's, all numbers together
    return str(titles.get(kind, kind)) % {"subject": subject}


class MemberNotifications(models.Model):
    """What one member of a tenant is sent: alert emails (chosen by an admin) and the weekly digest (the
    member's own switch), in the language the member chose."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    alert_emails = models.BooleanField(_("alert emails"), default=False)
    weekly_digest = models.BooleanField(_("weekly digest"), default=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="alerts_one_setting_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 24 random bytes in base64 (the signing key)."""
    return f"whsec_{base64.b64encode(secrets.token_bytes(24)).decode()}"


class EventType(models.TextChoices):
    ALERT_FIRED = "alert.fired", _("Alert fired")
    ALERT_CLEARED = "alert.cleared", _("Alert cleared")
    SMS_DELIVERED = "sms.delivered", _("SMS delivered")
    SMS_FAILED = "sms.failed", _("SMS failed")
    REPORT_READY = "report.ready", _("Report ready")
    ANNOUNCEMENT_READY = "announcement.ready", _("Announcement ready")
    REDIRECT_CHANGED = "redirect.changed", _("Redirect changed")
    SUBACCOUNT_CREATED = "subaccount.created", _("Subaccount created")
    SUBACCOUNT_DELETED = "subaccount.deleted", _("Subaccount deleted")
    TEST = "test", _("Test event")
    DIGEST = "digest.weekly", _("Weekly digest")


# What a tenant's endpoints can subscribe to (the digest goes only by email).
WEBHOOK_EVENTS = [(value, label) for value, label in EventType.choices if value != EventType.DIGEST]


class WebhookEndpoint(models.Model):
    """One of the tenant's URLs that receives signed events (Standard Webhooks); its secret is shown once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = EncryptedTextField(default=new_webhook_secret)
    # The event types sent here; empty means every event.
    events = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(_("on"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return event_type == EventType.TEST or not self.events or event_type in self.events


class Delivery(PolledJob):
    """One notification to one recipient: an email to a member, or an event POSTed to an endpoint.

    The row is the truth: the task sends it, a failure is retried with a growing backoff (the job base's
    poll), and after a day the delivery is given up. Resending makes a new row.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        WEBHOOK = "webhook", _("webhook")

    FIRST_POLL_DELAY = timedelta(0)
    BACKOFF_BASE = timedelta(seconds=30)
    BACKOFF_MAX = timedelta(hours=2)
    MAX_ATTEMPTS = 40
    GIVE_UP_AFTER = timedelta(days=1)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    event_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(_("event"), max_length=32, choices=EventType.choices)
    payload = models.JSONField(default=dict)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # The address or URL as it was when sent, so the log still says where after a change.
    recipient = models.CharField(_("to"), max_length=500)
    response_code = models.PositiveSmallIntegerField(_("response"), null=True, blank=True)

    class Meta(PolledJob.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            *PolledJob.Meta.indexes,
            models.Index(fields=["tenant", "-created_at", "-id"], name="alerts_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.recipient}"


def new_event_id() -> str:
    return f"msg_{secrets.token_hex(12)}"
