"""The tenant's state at a glance, from the local copy only (no provider is asked): what the home page and
the weekly digest show. Each figure is one small query on an indexed column or on the billing summary tables
(premium.totals), never a scan of the calls, so the home costs the same however many calls there are."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import IntegerField, Model
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import SyncStatus, Tenant
from alerts.models import Alert, Delivery
from premium import billing
from premium.models import Invoice, MonthNumberOverall, PremiumAccount, Repricing
from providers.jobs import registered_jobs
from sms.models import Payment, PoolEntry
from spikon.models import PhoneAccount, SpikonAccount

BUSIEST_SHOWN = 5
PROVIDER_NAMES = {"premium": "Numery-Premium.PL", "spikon": "SPIKON", "sms": "SerwerSMS.pl"}
# Each kind of background job in the operator's words, and the page that follows it.
JOBS = {
    "spikon.smsmessage": (_("SMS messages being delivered"), "spikon:sms-log"),
    "spikon.phonebookimport": (_("Phonebook imports"), "spikon:phonebooks"),
    "spikon.callhistoryreport": (_("Call history reports"), "spikon:history-reports"),
    "spikon.ttsannouncement": (_("Announcements being generated"), "spikon:tts"),
    "premium.statement": (_("Billing statements"), "premium:statements"),
    "premium.repricing": (_("Callers' payments being recounted"), "premium:billing"),
    "snapshots.rollback": (_("Rollbacks"), "snapshots:list"),
}


@dataclass
class Calls:
    """Premium calls over some days, and what callers paid (net, at each number's price per billed minute)."""

    calls: int = 0
    minutes: int = 0
    paid: Decimal = Decimal(0)


@dataclass
class TenantState:
    premium: PremiumAccount | None
    spikon: SpikonAccount | None
    pool: list[PoolEntry]
    premium_unpaid: int
    sms_unpaid: int
    sms_overdue: int
    unregistered: list[PhoneAccount]
    failing_syncs: list[tuple[SyncStatus, str, str]]  # the status, the provider's name, its app's page
    jobs_in_progress: list[tuple[str, str, int]]  # label, URL name, count
    open_alerts: list[Alert]
    this_month: Calls
    last_month: Calls
    busiest: list[MonthNumberOverall] = field(default_factory=list)
    # What callers paid on some days waits for a worker to recount it (a number bought or deleted).
    premium_recounting: bool = False


def days_total(tenant: Tenant, first: date, last: date) -> Calls:
    """Calls, billed minutes and what callers paid on these days (both included), from the totals per day
    and number: what callers paid is counted per day and number, as the billing page counts it."""
    return _added_up(billing.day_takings(tenant, first, last))


def _added_up(days: list[dict]) -> Calls:
    """The days of premium.billing.day_takings added up."""
    return Calls(
        sum(day["n_calls"] for day in days),
        sum(day["n_billed"] for day in days) // 60,
        sum((day["paid"] for day in days if day["paid"] is not None), Decimal(0)),
    )


def _same_days_of_last_month(today: date) -> tuple[date, date]:
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end.replace(day=min(today.day, last_month_end.day))


# One count of the tenant's rows of a table, as a column of the tenant's row: written here, as building a
# dozen counts as subqueries through the ORM took more than half of the overview's time (bench/).
COUNT_SQL = "SELECT COUNT(*) FROM {table} WHERE tenant_id = %s AND {condition}"


def _count(model: type[Model], tenant: Tenant, condition: str, params: Sequence[object] = ()) -> RawSQL:
    """How many of the tenant's `model` rows meet `condition` (SQL, its values in `params`)."""
    sql = COUNT_SQL.format(table=model._meta.db_table, condition=condition)
    # The table's name and the conditions are this module's; every value is a parameter.
    return RawSQL(sql, [tenant.pk, *params], output_field=IntegerField())  # noqa: S611


def tenant_state(tenant: Tenant) -> TenantState:
    today = timezone.localdate()
    previous_first, previous_last = _same_days_of_last_month(today)
    month_first = today.replace(day=1)
    month_last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    # Notifications are not provider work.
    kinds = [kind for kind in registered_jobs() if kind.model is not Delivery]
    # The accounts and every count in one query: each count is a subquery on its own indexed columns.
    row = (
        Tenant.objects.filter(pk=tenant.pk)
        .select_related("premium_account", "spikon_account")
        .annotate(
            premium_unpaid=_count(Invoice, tenant, "NOT paid"),
            sms_unpaid=_count(Payment, tenant, "NOT paid"),
            sms_overdue=_count(Payment, tenant, "NOT paid AND due_on < %s", [today]),
            **{
                f"running_{index}": _count(kind.model, tenant, *kind.model.open_sql())
                for index, kind in enumerate(kinds)
            },
        )
        .get()
    )
    jobs = []
    recounting = False
    for index, kind in enumerate(kinds):
        count = getattr(row, f"running_{index}")
        recounting = recounting or (kind.model is Repricing and count > 0)
        if count:
            label, url_name = JOBS.get(
                kind.model._meta.label_lower, (kind.model._meta.verbose_name_plural, "")
            )
            jobs.append((str(label), url_name, count))
    # This month's days and last month's same days, read together.
    days = billing.day_takings(tenant, previous_first, month_last)
    return TenantState(
        premium=getattr(row, "premium_account", None),  # None when the tenant has none
        spikon=getattr(row, "spikon_account", None),
        pool=list(PoolEntry.objects.filter(tenant=tenant)),
        premium_unpaid=row.premium_unpaid,
        sms_unpaid=row.sms_unpaid,
        sms_overdue=row.sms_overdue,
        unregistered=list(PhoneAccount.objects.filter(tenant=tenant).exclude(registration_state=1)[:20]),
        failing_syncs=[
            (status, PROVIDER_NAMES.get(status.provider, status.provider), f"{status.provider}:index")
            for status in SyncStatus.objects.filter(tenant=tenant, failing_since__isnull=False)
            .order_by("failing_since")
            .filter(provider__in=PROVIDER_NAMES)
        ],
        jobs_in_progress=jobs,
        open_alerts=list(
            Alert.objects.filter(tenant=tenant, fired_at__isnull=False, cleared_at__isnull=True)
            .select_related("rule")
            .order_by("-fired_at")[:20]
        ),
        this_month=_added_up([day for day in days if day["day"] >= month_first]),
        last_month=_added_up([day for day in days if previous_first <= day["day"] <= previous_last]),
        busiest=list(
            MonthNumberOverall.objects.filter(tenant=tenant, year=today.year, month=today.month).order_by(
                "-calls", "number"
            )[:BUSIEST_SHOWN]
        ),
        premium_recounting=recounting,
    )
