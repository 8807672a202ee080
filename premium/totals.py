"""Billing totals per day and number, per month and number and per day, kept beside the calls for the
billing summaries.

Adding up a month's calls on every page view grows with the month (a large account has ~100,000
calls a month); its totals are a few thousand rows at most. A sync that writes calls of a month
rebuilds that month's totals from the calls, in its transaction, so that they always agree. A number
bought or deleted here has its days' takings recounted by a worker (`reprice_later`): the request only
leaves a Repricing row.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from premium.earnings import Price, total
from premium.models import (
    Call,
    DayNumberTotal,
    DayTariffTotal,
    MonthNumberOverall,
    MonthNumberTotal,
    PremiumNumber,
    Repricing,
)
from provider_api.parsing import WARSAW
from providers.queueing import queue_after_commit
from providers.sql import select

logger = logging.getLogger(__name__)

ANSWERED = Call.Disposition.ANSWERED.value


def month_of(moment: datetime) -> tuple[int, int]:
    """The provider's (Europe/Warsaw) month a call belongs to."""
    local = moment.astimezone(WARSAW)
    return local.year, local.month


def month_period(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a provider month as aware times."""
    first = date(year, month, 1)
    following = first + timedelta(days=calendar.monthrange(year, month)[1])
    return datetime.combine(first, time.min, WARSAW), datetime.combine(following, time.min, WARSAW)


# A month's calls added up per provider day, number and call state, in the database: a month of a
# large account is ~100,000 calls but a few thousand of these rows at most.
DAY_NUMBER_SQL = """
INSERT INTO {table} (tenant_id, day, number, disposition, calls, billed_seconds, cost)
SELECT tenant_id, (started_at AT TIME ZONE 'Europe/Warsaw')::date, number, disposition,
       count(*), sum(billed_seconds), sum(redirect_cost)
FROM {calls}
WHERE tenant_id = %s AND started_at >= %s AND started_at < %s
GROUP BY tenant_id, 2, number, disposition
"""

# Those totals added up per day, state and tariff, with what callers paid: each number's billed time ×
# its price per minute, rounded to the grosz per day and number (premium.earnings.Price), then added up.
# `rows` are the tenant's DayNumberTotal rows of the days to count; a number no longer on the account has
# no tariff and no price.
DAY_TARIFF_SQL = """
INSERT INTO {table} (tenant_id, day, disposition, tariff, calls, billed_seconds, cost, paid)
SELECT %s, t.day, t.disposition, n.tariff, SUM(t.calls), SUM(t.billed_seconds), SUM(t.cost),
       SUM(ROUND(n.price_net * t.billed_seconds / 60, 2))
FROM ({rows}) AS t
LEFT JOIN {numbers} AS n ON n.tenant_id = %s AND n.number = t.number
GROUP BY t.day, t.disposition, n.tariff
"""


# The key of PostgreSQL's advisory lock on a tenant's totals: (this, the tenant's id).
TOTALS_LOCK = 7001


def _lock_totals(tenant_id: int) -> None:
    """One count of a tenant's totals at a time, until the transaction ends: two counts of the same days
    (a number's repricing, a numbers or billing sync) would each delete the rows, then both insert them.
    SQLite writes one transaction at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [TOTALS_LOCK, tenant_id])


@transaction.atomic
def rebuild(tenant_id: int, months: Iterable[tuple[int, int]]) -> None:
    """Recount the totals of these provider months from the tenant's calls.

    The calls are read once a month, added up per day, number and state (DayNumberTotal); the days' (per
    state, and per state and tariff) and the numbers' totals are added up from those rows, and the
    numbers' overall totals from their per-state totals here.
    """
    _lock_totals(tenant_id)
    for year, month in sorted(set(months)):
        start, end = month_period(year, month)
        days = DayNumberTotal.objects.filter(tenant_id=tenant_id, day__gte=start.date(), day__lt=end.date())
        days.delete()
        _count_days(tenant_id, start, end)
        _count_tariffs(tenant_id, Q(day__gte=start.date(), day__lt=end.date()))
        days = days.order_by()
        added_up = {"n": Sum("calls"), "billed": Sum("billed_seconds"), "spent": Sum("cost")}
        per_state = [
            MonthNumberTotal(
                tenant_id=tenant_id,
                year=year,
                month=month,
                number=row["number"],
                disposition=row["disposition"],
                calls=row["n"],
                billed_seconds=row["billed"],
                cost=row["spent"],
            )
            for row in days.values("number", "disposition").annotate(**added_up)
        ]
        overall: dict[str, MonthNumberOverall] = {}
        for row in per_state:
            number = overall.setdefault(
                row.number,
                MonthNumberOverall(
                    tenant_id=tenant_id,
                    year=year,
                    month=month,
                    number=row.number,
                    calls=0,
                    answered=0,
                    billed_seconds=0,
                    cost=Decimal(0),
                ),
            )
            number.calls += row.calls
            number.answered += row.calls if row.disposition == ANSWERED else 0
            number.billed_seconds += row.billed_seconds
            number.cost += row.cost
        MonthNumberTotal.objects.filter(tenant_id=tenant_id, year=year, month=month).delete()
        MonthNumberTotal.objects.bulk_create(per_state, batch_size=1000)
        MonthNumberOverall.objects.filter(tenant_id=tenant_id, year=year, month=month).delete()
        MonthNumberOverall.objects.bulk_create(overall.values(), batch_size=1000)


def _count_days(tenant_id: int, start: datetime, end: datetime) -> None:
    """Write the totals per day and number of the calls in [start, end): in the database on PostgreSQL;
    through Python elsewhere (SQLite, for a development start without PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            sql = DAY_NUMBER_SQL.format(table=DayNumberTotal._meta.db_table, calls=Call._meta.db_table)
            cursor.execute(sql, [tenant_id, start, end])
        return
    calls = Call.objects.filter(tenant_id=tenant_id, started_at__gte=start, started_at__lt=end).order_by()
    grouped = (
        calls.annotate(local_day=TruncDate("started_at", tzinfo=WARSAW))
        .values("local_day", "number", "disposition")
        .annotate(n=Count("id"), billed=Sum("billed_seconds"), spent=Sum("redirect_cost"))
    )
    DayNumberTotal.objects.bulk_create(
        (
            DayNumberTotal(
                tenant_id=tenant_id,
                day=row["local_day"],
                number=row["number"],
                disposition=row["disposition"],
                calls=row["n"],
                billed_seconds=row["billed"],
                cost=row["spent"],
            )
            for row in grouped.iterator()
        ),
        batch_size=1000,
    )


@transaction.atomic
def reprice(tenant_id: int, numbers: Iterable[str] | None = None) -> None:
    """Recount what callers paid per day and tariff after these numbers' prices or tariffs changed, or
    they were added or dropped (all the tenant's days without `numbers`): only the days these numbers
    have calls on, from the totals per day and number, reading no call.

    Every number's totals of those days are read again, and a number busy every day has all of them: on
    the bench's data set (1,000 numbers, 24 months) one number's 705 days are all 1.9 million rows per
    day and number, 4 s (EXPLAIN ANALYZE: the days are found on the index, the time is reading and adding
    up every row). The rows per day and tariff are sums of each number's rounded takings, so a narrower
    count would have to know the price and tariff each number had when they were last counted: numbers
    bought or deleted here are recounted by a worker instead (`reprice_later`).
    """
    _lock_totals(tenant_id)
    days = Q()
    if numbers is not None:
        with_calls = DayNumberTotal.objects.filter(tenant_id=tenant_id, number__in=list(numbers))
        days = Q(day__in=with_calls.order_by().values("day").distinct())
    _count_tariffs(tenant_id, days)


def reprice_later(tenant_id: int, number: str) -> Repricing:
    """Have a worker recount what callers paid on the days `number` has calls (it was just bought or
    deleted), queued when the transaction commits; until then the pages say it is being recounted."""
    job = Repricing.objects.create(tenant_id=tenant_id, number=number)
    queue_after_commit("premium.tasks.reprice_totals", job.pk)
    return job


def reprice_claimed(job: Repricing) -> None:
    """Recount a claimed Repricing and delete it (premium.tasks.reprice_totals). A count whose worker died
    is taken over once its claim runs out; one that failed Repricing.MAX_ATTEMPTS times is given up."""
    if job.attempts > Repricing.MAX_ATTEMPTS:
        logger.error(
            "repricing %s of tenant %s given up after %d attempts", job.pk, job.tenant_id, job.attempts
        )
        job.give_up(f"stopped {Repricing.MAX_ATTEMPTS} times")
        return
    with transaction.atomic():
        reprice(job.tenant_id, [job.number])
        # Only while this worker holds the claim: one that took over counts and deletes it itself.
        Repricing.objects.filter(pk=job.pk, claimed_until=job.claimed_until).delete()


# Written here, as the ORM took longer to build the question than the database to answer it, on every
# billing page.
RECOUNTING_SQL = "SELECT 1 FROM {table} WHERE tenant_id = %s AND {open} LIMIT 1"


def recounting(tenant_id: int) -> bool:
    """Whether what callers paid on some of the tenant's days is waiting for a worker to recount it."""
    condition, values = Repricing.open_sql()
    sql = RECOUNTING_SQL.format(table=Repricing._meta.db_table, open=condition)
    return bool(select(sql, [tenant_id, *values], [None]))


def _count_tariffs(tenant_id: int, days: Q) -> None:
    """Write the totals per day, state and tariff of these `days` again from the totals per day and
    number: in the database on PostgreSQL; through Python elsewhere (SQLite)."""
    DayTariffTotal.objects.filter(days, tenant_id=tenant_id).delete()
    rows = DayNumberTotal.objects.filter(days, tenant_id=tenant_id).order_by()
    if connection.vendor == "postgresql":
        inner, params = rows.values(
            "day", "number", "disposition", "calls", "billed_seconds", "cost"
        ).query.sql_with_params()
        sql = DAY_TARIFF_SQL.format(
            table=DayTariffTotal._meta.db_table, rows=inner, numbers=PremiumNumber._meta.db_table
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [tenant_id, *params, tenant_id])
        return
    numbers = PremiumNumber.objects.filter(tenant_id=tenant_id).values_list("number", "tariff", "price_net")
    prices = {number: (tariff, Price(price, None)) for number, tariff, price in numbers}
    added: dict[tuple, DayTariffTotal] = {}
    paid: dict[tuple, list[Decimal | None]] = {}
    for row in rows.iterator():
        tariff, price = prices.get(row.number, (None, Price(None, None)))
        key = (row.day, row.disposition, tariff)
        into = added.setdefault(
            key,
            DayTariffTotal(
                tenant_id=tenant_id,
                day=row.day,
                disposition=row.disposition,
                tariff=tariff,
                calls=0,
                billed_seconds=0,
                cost=Decimal(0),
            ),
        )
        into.calls += row.calls
        into.billed_seconds += row.billed_seconds
        into.cost += row.cost
        paid.setdefault(key, []).append(price.paid(row.billed_seconds))
    for key, into in added.items():
        into.paid = total(paid[key])
    DayTariffTotal.objects.bulk_create(added.values(), batch_size=1000)


def rebuild_all(tenant_id: int) -> None:
    """Recount every month the tenant has calls in (after calls were written other than by a sync)."""
    bounds = Call.objects.filter(tenant_id=tenant_id).order_by().values_list("started_at", flat=True)
    first, last = bounds.order_by("started_at").first(), bounds.order_by("-started_at").first()
    if first is None:
        return
    months = []
    year, month = month_of(first)
    while (year, month) <= month_of(last):
        months.append((year, month))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    rebuild(tenant_id, months)
