"""Alert rules evaluated against the local copy: after each relevant sync and on a schedule.

Each rule kind finds the things its condition holds for (`Finding`). An alert is made when a thing is first
seen, fires once the condition has held long enough (SIP accounts: the rule's minutes; the rest at once),
stays open while it holds and is cleared when it ends; firing and clearing are the two moments notified.
Evaluations of one tenant run one at a time (a lock on the tenant row), so nothing fires twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import SyncStatus, Tenant
from alerts import notify
from alerts.models import Alert, AlertRule, RuleKind
from alerts.overview import PROVIDER_NAMES
from premium.models import Call, Invoice, PremiumAccount
from sms.models import Payment, PoolEntry
from spikon.models import PhoneAccount, SpikonAccount


@dataclass(frozen=True)
class Finding:
    key: str  # what the alert is about, stable between evaluations
    subject: str  # its plain name, untranslated (the alert's title is made in the reader's language)
    value: Decimal | None  # the measured figure, in the rule's unit
    since: datetime | None = None  # when the condition began, if the copy knows


def after_sync(sender, *, tenant_id: int, provider: str, resource: str, **kwargs) -> None:
    """A sync finished: look again at the tenant's rules (in a task of its own, once the sync commits)."""
    from alerts import tasks
    from providers.queueing import queue_after_commit

    queue_after_commit(tasks.evaluate_alerts, tenant_id)


def evaluate(tenant_id: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().filter(pk=tenant_id).first()
        if tenant is None:
            return
        for rule in AlertRule.objects.filter(tenant=tenant, enabled=True):
            _evaluate_rule(rule, CONDITIONS[rule.kind](rule, now), now)
        # A rule switched off or deleted leaves no alert open.
        for alert in Alert.objects.filter(tenant=tenant, cleared_at__isnull=True, rule__enabled=False):
            _end(alert, now)


def _evaluate_rule(rule: AlertRule, findings: list[Finding], now: datetime) -> None:
    current = {alert.subject_key: alert for alert in rule.alerts.filter(cleared_at__isnull=True)}
    hold = timedelta(minutes=int(rule.threshold)) if rule.kind == RuleKind.SIP_UNREGISTERED else timedelta(0)
    for finding in findings:
        alert = current.pop(finding.key, None)
        if alert is None:
            alert = Alert.objects.create(
                tenant_id=rule.tenant_id,
                rule=rule,
                subject_key=finding.key,
                subject=finding.subject[:200],
                value=finding.value,
                threshold=rule.threshold,
                condition_since=finding.since or now,
                checked_at=now,
            )
        else:
            alert.value, alert.checked_at = finding.value, now
            alert.save(update_fields=["value", "checked_at"])
        if alert.fired_at is None and now - alert.condition_since >= hold:
            alert.fired_at, alert.value_at_fire = now, finding.value
            alert.save(update_fields=["fired_at", "value_at_fire"])
            notify.alert_fired(alert)
    for alert in current.values():
        _end(alert, now)


def _end(alert: Alert, now: datetime) -> None:
    """The condition is over: a fired alert is cleared (and people told), one that never fired is forgotten."""
    if alert.fired_at is None:
        alert.delete()
        return
    alert.cleared_at = alert.checked_at = now
    alert.save(update_fields=["cleared_at", "checked_at"])
    notify.alert_cleared(alert)


# --- the conditions, one per rule kind, from the local copy only ------------------------------------------


def _premium_wallet(rule: AlertRule, now: datetime) -> list[Finding]:
    account = PremiumAccount.objects.filter(tenant_id=rule.tenant_id, balance_net__isnull=False).first()
    if account is None or account.balance_net >= rule.threshold:
        return []
    return [Finding("wallet", "Numery-Premium.PL", account.balance_net)]


def _spikon_balance(rule: AlertRule, now: datetime) -> list[Finding]:
    account = SpikonAccount.objects.filter(tenant_id=rule.tenant_id, balance__isnull=False).first()
    if account is None or account.balance >= rule.threshold:
        return []
    return [Finding("balance", "SPIKON", account.balance)]


def _sms_pool(rule: AlertRule, now: datetime) -> list[Finding]:
    entry = PoolEntry.objects.filter(
        tenant_id=rule.tenant_id, message_type=rule.message_type, unlimited=False, remaining__isnull=False
    ).first()
    if entry is None or entry.remaining >= rule.threshold:
        return []
    return [Finding(f"pool:{entry.message_type}", entry.message_type.upper(), Decimal(entry.remaining))]


def _invoices_unpaid(rule: AlertRule, now: datetime) -> list[Finding]:
    """Unpaid SerwerSMS.pl payments by their due date; Numery-Premium.PL invoices, which carry no due date,
    by their issue date."""
    today = timezone.localdate(now)
    offset = timedelta(days=int(rule.threshold))
    found = []
    for payment in Payment.objects.filter(tenant_id=rule.tenant_id, paid=False, due_on__lte=today - offset):
        subject = f"SerwerSMS.pl {payment}"
        found.append(
            Finding(f"sms-payment:{payment.provider_id}", subject, Decimal((today - payment.due_on).days))
        )
    for invoice in Invoice.objects.filter(tenant_id=rule.tenant_id, paid=False):
        issued = timezone.localdate(invoice.issued_at)
        if issued <= today - offset:
            subject = f"Numery-Premium.PL {invoice.title}"
            found.append(
                Finding(f"premium-invoice:{invoice.provider_id}", subject, Decimal((today - issued).days))
            )
    return found


def _syncs_failing(rule: AlertRule, now: datetime) -> list[Finding]:
    limit = now - timedelta(hours=float(rule.threshold))
    found = []
    for status in SyncStatus.objects.filter(tenant_id=rule.tenant_id, failing_since__lte=limit):
        hours = Decimal((now - status.failing_since).total_seconds() / 3600).quantize(Decimal("0.1"))
        subject = f"{PROVIDER_NAMES.get(status.provider, status.provider)} / {status.resource}"
        found.append(
            Finding(f"sync:{status.provider}/{status.resource}", subject, hours, status.failing_since)
        )
    return found


def _sip_unregistered(rule: AlertRule, now: datetime) -> list[Finding]:
    accounts = PhoneAccount.objects.filter(tenant_id=rule.tenant_id).exclude(registration_state=1)
    return [
        Finding(
            f"sip:{account.provider_id}",
            str(account),
            None,
        )
        for account in accounts
    ]


def _dead_redirects(rule: AlertRule, now: datetime) -> list[Finding]:
    since = now - timedelta(hours=float(rule.threshold))
    numbers = (
        Call.objects.filter(tenant_id=rule.tenant_id, started_at__gte=since)
        .values("number")
        .annotate(calls=Count("id"), answered=Count("id", filter=Q(disposition=Call.Disposition.ANSWERED)))
        .filter(answered=0)
        .order_by("number")
    )
    return [Finding(f"redirect:{row['number']}", row["number"], Decimal(row["calls"])) for row in numbers]


# A number is compared on its own only when its usual minutes are this many or more: below, a quiet morning
# would raise an alert for a number that hardly ever rings.
NUMBER_REVENUE_FLOOR_SECONDS = 30 * 60


def _revenue_drop(rule: AlertRule, now: datetime) -> list[Finding]:
    """Billed minutes today until now, the tenant's and each busy number's, against the same part of the same
    weekday in the 4 weeks before (their average); nothing while those weeks had no billed minutes."""
    local_now = timezone.localtime(now)
    start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)

    def billed(day_start: datetime) -> dict[str, int]:
        calls = Call.objects.filter(
            tenant_id=rule.tenant_id,
            started_at__gte=day_start,
            started_at__lt=day_start + (local_now - start),
        )
        rows = calls.values("number").annotate(seconds=Sum("billed_seconds")).order_by()
        return {row["number"]: row["seconds"] or 0 for row in rows}

    today = billed(start)
    weeks = [billed(start - timedelta(weeks=week)) for week in range(1, 5)]
    numbers = sorted({number for week in weeks for number in week})
    usual = {number: sum(week.get(number, 0) for week in weeks) / 4 for number in numbers}
    found = []
    checked = [("revenue", "", sum(today.values()), sum(usual.values()))] + [
        (f"revenue:{number}", number, today.get(number, 0), usual[number])
        for number in numbers
        if usual[number] >= NUMBER_REVENUE_FLOOR_SECONDS
    ]
    for key, subject, seconds, average in checked:
        if average <= 0:
            continue
        percent = Decimal(100 * seconds / average).quantize(Decimal("0.1"))
        if percent < rule.threshold:
            found.append(Finding(key, subject, percent))
    return found


CONDITIONS: dict[str, Callable[[AlertRule, datetime], list[Finding]]] = {
    RuleKind.PREMIUM_WALLET_BELOW: _premium_wallet,
    RuleKind.SPIKON_BALANCE_BELOW: _spikon_balance,
    RuleKind.SMS_POOL_BELOW: _sms_pool,
    RuleKind.INVOICE_UNPAID: _invoices_unpaid,
    RuleKind.SYNC_FAILING: _syncs_failing,
    RuleKind.SIP_UNREGISTERED: _sip_unregistered,
    RuleKind.DEAD_REDIRECT: _dead_redirects,
    RuleKind.REVENUE_DROP: _revenue_drop,
}

# Created with every tenant (and for tenants made before rules existed, by the migration).
DEFAULT_RULES = (
    (RuleKind.PREMIUM_WALLET_BELOW, Decimal("50"), ""),
    (RuleKind.SPIKON_BALANCE_BELOW, Decimal("20"), ""),
    (RuleKind.SMS_POOL_BELOW, Decimal("100"), "eco"),
    (RuleKind.SMS_POOL_BELOW, Decimal("50"), "full"),
    (RuleKind.INVOICE_UNPAID, Decimal("0"), ""),
    (RuleKind.SYNC_FAILING, Decimal("6"), ""),
    (RuleKind.SIP_UNREGISTERED, Decimal("15"), ""),
    (RuleKind.DEAD_REDIRECT, Decimal("2"), ""),
    (RuleKind.REVENUE_DROP, Decimal("30"), ""),
)


def create_default_rules(tenant: Tenant) -> None:
    AlertRule.objects.bulk_create(
        AlertRule(tenant=tenant, kind=kind, threshold=threshold, message_type=message_type)
        for kind, threshold, message_type in DEFAULT_RULES
    )
