"""The weekly digest: per tenant, the balances, last week's calls and what callers paid, and the open alerts;
emailed to each member who keeps it on (MemberNotifications.weekly_digest, on by default)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Tenant
from alerts import notify, overview
from alerts.models import MemberNotifications


def digest_data(tenant: Tenant) -> dict[str, object]:
    """What the digest says, as plain values (stored with the delivery, rendered in each member's language)."""
    today = timezone.localdate()
    state = overview.tenant_state(tenant)
    week = overview.days_total(tenant, today - timedelta(days=7), today - timedelta(days=1))
    return {
        "premium_wallet_net": None
        if state.premium is None or state.premium.balance_net is None
        else str(state.premium.balance_net),
        "spikon_balance": None
        if state.spikon is None or state.spikon.balance is None
        else str(state.spikon.balance),
        "sms_pool": [
            {"type": entry.message_type, "remaining": entry.remaining, "unlimited": entry.unlimited}
            for entry in state.pool
        ],
        "week_calls": week.calls,
        "week_minutes": week.minutes,
        "week_paid": str(week.paid),
        "open_alerts": [[alert.rule.kind, alert.subject] for alert in state.open_alerts],
        "from": (today - timedelta(days=7)).isoformat(),
        "to": (today - timedelta(days=1)).isoformat(),
    }


def send_all() -> int:
    """Queue one digest email per member who wants it, in every tenant; returns how many."""
    queued = 0
    for tenant in Tenant.objects.all():
        with transaction.atomic():
            # Members who never opened their settings get the default (digest on).
            members = Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True)
            MemberNotifications.objects.bulk_create(
                [MemberNotifications(tenant=tenant, user_id=user_id) for user_id in members],
                ignore_conflicts=True,
            )
            wanted = notify.emailed_members(tenant.pk, weekly_digest=True)
            if not wanted:
                continue
            data = digest_data(tenant)
            for setting in wanted:
                notify.digest_delivery(setting, data)
                queued += 1
    return queued
