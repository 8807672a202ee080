"""SPIKON data of a tenant: the account (credentials) and the local copy of what the provider holds."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import EncryptedTextField
from accounts.models import Tenant
from spikon.client import DEFAULT_BASE_URL, SpikonClient


class SpikonAccount(models.Model):
    """The tenant's SPIKON API access. The key is write-only in the UI and encrypted at rest."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="spikon_account")
    api_key = EncryptedTextField(_("API key"), blank=True)
    base_url = models.URLField(
        _("API address"),
        default=DEFAULT_BASE_URL,
        help_text=_("Leave as it is; change only to point this account at a test sandbox."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SPIKON account")

    def __str__(self) -> str:
        return f"SPIKON: {self.tenant}"

    @property
    def is_configured(self) -> bool:
        return bool(self.api_key)

    def client(self) -> SpikonClient:
        return SpikonClient(self.api_key, base_url=self.base_url)
