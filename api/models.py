"""API tokens: one tenant, one role cap, stored hashed; the secret is shown once when it is made."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Tenant

TOKEN_PREFIX_LENGTH = 8
# "dsh_" tells a scanner (and a person) what leaked; the prefix finds the row, the rest is the secret.
TOKEN_MARK = "dsh_"  # noqa: S105 - a label, not a secret


def hash_secret(secret: str) -> str:
    """SHA-256 is enough here: the secret is 32 random bytes, not a password that could be guessed."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A key for scripts: acts in its tenant with its role, never above the role of the member who made it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    role = models.PositiveSmallIntegerField(_("role"), choices=Role.choices)
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="api_tokens"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_MARK}{self.prefix}…)"

    @classmethod
    def issue(
        cls, *, tenant: Tenant, name: str, role: int, created_by, expires_at=None
    ) -> tuple[ApiToken, str]:
        """A new token and its full text, which exists only in this answer."""
        prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(
            tenant=tenant,
            name=name,
            role=role,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            created_by=created_by,
            expires_at=expires_at,
        )
        return token, f"{TOKEN_MARK}{prefix}_{secret}"

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def audit_label(self) -> str:
        """How the audit log names what a request with this token did."""
        return f"API token {self.name} ({TOKEN_MARK}{self.prefix})"
