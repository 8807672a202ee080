"""The tenant's SerwerSMS.pl account and the local copy of its subaccounts."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import EncryptedTextField
from accounts.models import Tenant
from provider_api.http import HttpTransport
from providers.accounts import ProviderAccount
from sms.client import BASE_URL, LIMIT_TYPES, PROVIDER, SerwerSmsClient


class SerwerSmsAccount(ProviderAccount):
    """The tenant's API access to SerwerSMS.pl: an API token, or an API user's login and password."""

    PROVIDER = PROVIDER
    OFFICIAL_URL = BASE_URL

    class AuthMethod(models.TextChoices):
        TOKEN = "token", _("API token")
        API_USER = "api_user", _("API user (login and password)")

    auth_method = models.CharField(
        _("sign-in method"), max_length=16, choices=AuthMethod.choices, default=AuthMethod.TOKEN
    )
    api_token = EncryptedTextField(_("API token"), blank=True)
    api_username = models.CharField(_("API user login"), max_length=100, blank=True)
    api_password = EncryptedTextField(_("API user password"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SerwerSMS.pl account")

    def __str__(self) -> str:
        return f"SerwerSMS.pl ({self.tenant})"

    @property
    def is_configured(self) -> bool:
        if self.auth_method == self.AuthMethod.TOKEN:
            return bool(self.api_token)
        return bool(self.api_username and self.api_password)

    def secrets(self) -> tuple[str, ...]:
        """The sign-in method's secret; a stored secret of the other method is never sent."""
        return (self.api_token,) if self.auth_method == self.AuthMethod.TOKEN else (self.api_password,)

    def make_client(self, transport: HttpTransport) -> SerwerSmsClient:
        if self.auth_method == self.AuthMethod.TOKEN:
            return SerwerSmsClient(token=self.api_token, transport=transport)
        return SerwerSmsClient(username=self.api_username, password=self.api_password, transport=transport)


class Subaccount(models.Model):
    """One subaccount as the last sync (or a change made here) saw it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sms_subaccounts")
    provider_id = models.PositiveBigIntegerField(_("ID"))
    login = models.CharField(_("login"), max_length=100)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    # When `view` last read name, phone and email; None until the first read.
    details_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider_id"], name="sms_one_subaccount_per_id"),
        ]
        verbose_name = _("subaccount")
        verbose_name_plural = _("subaccounts")

    def __str__(self) -> str:
        return f"{self.login} ({self.provider_id})"


class MessageType(models.TextChoices):
    """The message types a subaccount has a limit for (subaccounts/limit `type`)."""

    ECO = "eco", _("SMS ECO")
    FULL = "full", _("SMS FULL")
    VOICE = "voice", _("Voice message (VOICE)")
    MMS = "mms", _("MMS")
    HLR = "hlr", _("HLR lookup")


assert tuple(MessageType.values) == LIMIT_TYPES  # the client's list and ours must not drift apart


class SubaccountLimit(models.Model):
    """The limit last set from this dashboard for one message type (the API cannot read limits back)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subaccount = models.ForeignKey(Subaccount, on_delete=models.CASCADE, related_name="limits")
    message_type = models.CharField(_("message type"), max_length=8, choices=MessageType.choices)
    value = models.PositiveIntegerField(_("limit"))
    set_at = models.DateTimeField(_("set at"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so that the page still says who set it after the user is deleted.
    set_by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subaccount", "message_type"], name="sms_one_limit_per_type"),
        ]

    def __str__(self) -> str:
        return f"{self.subaccount} {self.message_type}={self.value}"


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class SubaccountCreation(models.Model):
    """One "create a subaccount" form: issued with a one-time token, then sent to the provider at most once.

    The token is the form's act-once key (providers.once): only the request that starts its action calls
    the provider, and any other, however late, sees this row's outcome. The new subaccount's password is
    never stored.
    """

    class Status(models.TextChoices):
        NEW = "new", _("form issued")
        SENDING = "sending", _("being created")
        CREATED = "created", _("created")
        REFUSED = "refused", _("refused")
        UNKNOWN = "unknown", _("outcome unknown — check")

    # A request still "sending" after this long died with its process: the outcome is unknown.
    SENDING_GIVES_UP_AFTER = timedelta(minutes=2)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    issued_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    form_token = models.CharField(max_length=64, unique=True, default=new_form_token)
    issued_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.NEW)
    login = models.CharField(_("login"), max_length=20, blank=True)
    template_label = models.CharField(_("template"), max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "status"], name="sms_creation_tenant_status")]

    def __str__(self) -> str:
        return f"{self.login or '?'} ({self.status})"

    @property
    def shown_status(self) -> str:
        """The status to show: a send that never finished is, after a while, of unknown outcome."""
        sending = self.status == self.Status.SENDING and self.sent_at is not None
        if sending and timezone.now() - self.sent_at > self.SENDING_GIVES_UP_AFTER:
            return self.Status.UNKNOWN
        return self.status

    @property
    def is_pending(self) -> bool:
        return self.shown_status == self.Status.SENDING

    def get_shown_status_display(self) -> str:
        return self.Status(self.shown_status).label


class PoolEntry(models.Model):
    """What is left of one message type on the account (account/limits): SerwerSMS's "balance"."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sms_pool")
    # The provider's word for the type (eco, full, voice, mms, lookup, hlr, or one it adds later).
    message_type = models.CharField(_("message type"), max_length=20)
    remaining = models.PositiveIntegerField(_("messages left"), null=True, blank=True)
    unlimited = models.BooleanField(default=False)
    chars_limit = models.CharField(max_length=20, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "message_type"], name="sms_one_pool_entry_per_type"),
        ]
        ordering = ["message_type"]

    def __str__(self) -> str:
        return f"{self.message_type}: {self.remaining}"

    @property
    def type_label(self) -> str:
        return POOL_TYPE_LABELS.get(self.message_type, self.message_type.upper())


POOL_TYPE_LABELS = {
    "eco": _("SMS ECO"),
    "full": _("SMS FULL"),
    "voice": _("Voice message (VOICE)"),
    "mms": _("MMS"),
    "lookup": _("Number lookup"),
    "hlr": _("HLR lookup"),
}


def payment_invoice_path(payment: Payment, filename: str) -> str:
    """A random name: the path of a stored invoice cannot be guessed from its id or number."""
    return f"sms/invoices/{payment.tenant_id}/{secrets.token_hex(16)}.pdf"


class Payment(models.Model):
    """A payment of the account (payments/index); its invoice is fetched once, on the first download."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sms_payments")
    provider_id = models.PositiveBigIntegerField(_("ID"))
    number = models.CharField(_("number"), max_length=100, blank=True)
    paid = models.BooleanField(_("paid"), default=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    invoice = models.FileField(upload_to=payment_invoice_path, blank=True, max_length=200)
    invoice_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider_id"], name="sms_one_payment_per_id"),
        ]
        ordering = ["-due_on", "-provider_id"]

    def __str__(self) -> str:
        return self.number or str(self.provider_id)

    @property
    def overdue(self) -> bool:
        return not self.paid and self.due_on is not None and self.due_on < timezone.localdate()


class DeliveryStat(models.Model):
    """Delivery counts of one package of messages (stats/index)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sms_delivery_stats")
    provider_id = models.PositiveBigIntegerField()
    name = models.CharField(_("package"), max_length=200, blank=True)
    message_type = models.CharField(_("message type"), max_length=20, blank=True)
    delivered = models.PositiveIntegerField(_("delivered"))
    pending = models.PositiveIntegerField(_("pending"))
    undelivered = models.PositiveIntegerField(_("undelivered"))
    unsent = models.PositiveIntegerField(_("unsent"))
    begin = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider_id"], name="sms_one_stat_per_package"),
        ]
        ordering = ["-begin", "-provider_id"]

    def __str__(self) -> str:
        return self.name or str(self.provider_id)


class ProviderNotice(models.Model):
    """A notice from SerwerSMS.pl to the account (account/messages), in the provider's order."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sms_notices")
    position = models.PositiveIntegerField()
    new = models.BooleanField(default=False)
    message = models.TextField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.message[:50]
