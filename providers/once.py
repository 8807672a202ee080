"""Act once: a call that costs money or acts (buy a number, send SMS, generate an announcement,
click-to-call, create a subaccount) is made at most once per confirmation, ever.

The form carries a key (`new_action_key()`); the request that starts the action with that key gets the
record, any other request with the same key (a double click, a resent form, the same confirmation posted
again after what it made was deleted or synced away) gets None and shows the first outcome. The record is
kept apart from what the action made, so deleting that never frees the key.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant

KEY_MAX_LENGTH = 64


def new_action_key() -> str:
    return secrets.token_urlsafe(24)


class ActionRecord(models.Model):
    """One confirmation of an action, used: its state and what to tell the operator about it."""

    class State(models.TextChoices):
        ACTING = "acting", _("being done")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("outcome unknown")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    kind = models.CharField(max_length=64)  # what the action is, e.g. "premium.number.buy"
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTING)
    # What the operator is told when the same key comes again, and the ids of what the action made.
    outcome = models.JSONField(default=dict, blank=True)
    # A hash of the request body, for an API's Idempotency-Key: the same key with another body is refused.
    fingerprint = models.CharField(max_length=64, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="providers_action_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"

    def settle(self, state: str, **outcome) -> None:
        """Record how the action ended, and what to say about it."""
        self.state = state
        self.outcome = {**self.outcome, **outcome}
        self.settled_at = timezone.now()
        self.save(update_fields=["state", "outcome", "settled_at"])


def start_action(
    tenant: Tenant, key: str, kind: str, *, user=None, fingerprint: str = ""
) -> ActionRecord | None:
    """The record of a new action under `key`, or None when the key was used already (show that outcome).

    Committed at once, in a transaction of its own: the key is taken before the provider is called, so a
    second request with it (even one running at the same moment) never calls the provider.
    """
    if not key or len(key) > KEY_MAX_LENGTH:
        return None
    try:
        with transaction.atomic():
            return ActionRecord.objects.create(
                tenant=tenant, key=key, kind=kind, created_by=user, fingerprint=fingerprint
            )
    except IntegrityError:
        return None
