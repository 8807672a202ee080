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
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate

from premium.earnings import UNKNOWN, every_price, total
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
from providers.sql import one_of, select

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


# A month's calls added up per provider day, number and call state, in the database, with what their
# callers paid at the number's price (rounded to the grosz per row, as premium.earnings.Price does): a
# month of a large account is ~100,000 calls but a few thousand of these rows at most.
DAY_NUMBER_SQL = """
INSERT INTO {table} (tenant_id, day, number, disposition, calls, billed_seconds, cost, tariff, paid)
SELECT %s, t.day, t.number, t.disposition, t.calls, t.billed_seconds, t.cost, n.tariff,
       ROUND(n.price_net * t.billed_seconds / 60, 2)
FROM (
    SELECT (started_at AT TIME ZONE 'Europe/Warsaw')::date AS day, number, disposition,
           count(*) AS calls, sum(billed_seconds) AS billed_seconds, sum(redirect_cost) AS cost
    FROM {calls}
    WHERE tenant_id = %s AND started_at >= %s AND started_at < %s
    GROUP BY 1, number, disposition
) AS t
LEFT JOIN {numbers} AS n ON n.tenant_id = %s AND n.number = t.number
"""

# The tenant's totals per day and number (`{numbers}`: of some numbers, or all) priced again at their
# numbers' prices and tariffs of now, where those changed; the days and numbers of the rows changed are
# returned. A number no longer on the account has no tariff and no price.
PRICE_DAYS_SQL = """
WITH priced AS (
    SELECT t.id, n.tariff, ROUND(n.price_net * t.billed_seconds / 60, 2) AS paid
    FROM {table} AS t
    LEFT JOIN {numbers} AS n ON n.tenant_id = t.tenant_id AND n.number = t.number
    WHERE t.tenant_id = %s{only}
)
UPDATE {table} AS t SET tariff = priced.tariff, paid = priced.paid
FROM priced
WHERE t.id = priced.id AND (t.tariff, t.paid) IS DISTINCT FROM (priced.tariff, priced.paid)
RETURNING t.day, t.number
"""

# Those totals added up per day, state and tariff. `rows` are the tenant's DayNumberTotal rows of the
# days to count.
DAY_TARIFF_SQL = """
INSERT INTO {table} (tenant_id, day, disposition, tariff, calls, billed_seconds, cost, paid)
SELECT %s, t.day, t.disposition, t.tariff, SUM(t.calls), SUM(t.billed_seconds), SUM(t.cost), SUM(t.paid)
FROM ({rows}) AS t
GROUP BY t.day, t.disposition, t.tariff
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
        DayNumberTotal.objects.filter(tenant_id=tenant_id, day__gte=start.date(), day__lt=end.date()).delete()
        _count_days(tenant_id, start, end)
        _count_tariffs(tenant_id, Q(day__gte=start.date(), day__lt=end.date()))
        _count_months(tenant_id, year, month)


def _count_months(tenant_id: int, year: int, month: int, numbers: list[str] | None = None) -> None:
    """Write the month's totals per number (per state, and overall) again from its totals per day and
    number: of these `numbers`, or of all."""
    start, end = month_period(year, month)
    days = DayNumberTotal.objects.filter(tenant_id=tenant_id, day__gte=start.date(), day__lt=end.date())
    kept = {"tenant_id": tenant_id, "year": year, "month": month}
    if numbers is not None:
        days, kept = days.filter(number__in=numbers), {**kept, "number__in": numbers}
    added_up = {
        "n": Sum("calls"),
        "billed": Sum("billed_seconds"),
        "spent": Sum("cost"),
        "takings": Sum("paid"),
        "number_tariff": Max("tariff"),  # a number's rows are all priced at its tariff of now
    }
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
            tariff=row["number_tariff"],
            paid=row["takings"],
        )
        for row in days.order_by().values("number", "disposition").annotate(**added_up)
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
                tariff=row.tariff,
            ),
        )
        number.calls += row.calls
        number.answered += row.calls if row.disposition == ANSWERED else 0
        number.billed_seconds += row.billed_seconds
        number.cost += row.cost
        number.paid = total([number.paid, row.paid])
    MonthNumberTotal.objects.filter(**kept).delete()
    MonthNumberTotal.objects.bulk_create(per_state, batch_size=1000)
    MonthNumberOverall.objects.filter(**kept).delete()
    MonthNumberOverall.objects.bulk_create(overall.values(), batch_size=1000)


NOT_LISTED = (None, UNKNOWN)  # a number no longer on the account: no tariff, no price


def _count_days(tenant_id: int, start: datetime, end: datetime) -> None:
    """Write the totals per day and number of the calls in [start, end): in the database on PostgreSQL;
    through Python elsewhere (SQLite, for a development start without PostgreSQL)."""
    if connection.vendor == "postgresql":
        sql = DAY_NUMBER_SQL.format(
            table=DayNumberTotal._meta.db_table,
            calls=Call._meta.db_table,
            numbers=PremiumNumber._meta.db_table,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [tenant_id, tenant_id, start, end, tenant_id])
        return
    prices = every_price(tenant_id)
    calls = Call.objects.filter(tenant_id=tenant_id, started_at__gte=start, started_at__lt=end).order_by()
    grouped = (
        calls.annotate(local_day=TruncDate("started_at", tzinfo=WARSAW))
        .values("local_day", "number", "disposition")
        .annotate(n=Count("id"), billed=Sum("billed_seconds"), spent=Sum("redirect_cost"))
    )
    made = []
    for row in grouped.iterator():
        tariff, price = prices.get(row["number"], NOT_LISTED)
        made.append(
            DayNumberTotal(
                tenant_id=tenant_id,
                day=row["local_day"],
                number=row["number"],
                disposition=row["disposition"],
                calls=row["n"],
                billed_seconds=row["billed"],
                cost=row["spent"],
                tariff=tariff,
                paid=price.paid(row["billed"]),
            )
        )
    DayNumberTotal.objects.bulk_create(made, batch_size=1000)


@transaction.atomic
def reprice(tenant_id: int, numbers: Iterable[str] | None = None) -> None:
    """Recount what callers paid after these numbers' prices or tariffs changed, or they were added or
    dropped (all the tenant's numbers without `numbers`), reading no call.

    Their totals per day and number are priced again where their price or tariff changed, then the totals
    per day and tariff of the days those rows are on, and those numbers' totals of those days' months. A
    day's totals per tariff are counted from every number's rows of the day, so a number busy every day
    has all of them read again: on the bench's data set (1,000 numbers, 24 months) one number's 705 days
    are all 1.9 million rows per day and number, and its new price is counted in 1.1 s. Numbers bought or
    deleted here are recounted by a worker (`reprice_later`); a number whose price and tariff did not
    change costs only the reading of its rows.
    """
    _lock_totals(tenant_id)
    changed = _price_days(tenant_id, None if numbers is None else list(numbers))
    if changed:
        _count_tariffs(tenant_id, Q(day__in=sorted({day for day, _number in changed})))
    months: dict[tuple[int, int], set[str]] = {}
    for day, number in changed:
        months.setdefault((day.year, day.month), set()).add(number)
    for (year, month), numbers_changed in sorted(months.items()):
        _count_months(tenant_id, year, month, sorted(numbers_changed))


def _price_days(tenant_id: int, numbers: list[str] | None) -> set[tuple[date, str]]:
    """Price the totals per day and number of these `numbers` (or all) again at their numbers' prices and
    tariffs of now; returns the days and numbers of the rows that changed."""
    if connection.vendor == "postgresql":
        condition, values = one_of("t.number", numbers) if numbers is not None else ("", [])
        sql = PRICE_DAYS_SQL.format(
            table=DayNumberTotal._meta.db_table,
            numbers=PremiumNumber._meta.db_table,
            only=f" AND {condition}" if numbers is not None else "",
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [tenant_id, *values])
            return set(cursor.fetchall())
    prices = every_price(tenant_id)
    rows = DayNumberTotal.objects.filter(tenant_id=tenant_id).order_by()
    if numbers is not None:
        rows = rows.filter(number__in=numbers)
    changed = []
    for row in rows.iterator():
        tariff, price = prices.get(row.number, NOT_LISTED)
        paid = price.paid(row.billed_seconds)
        if (row.tariff, row.paid) != (tariff, paid):
            row.tariff, row.paid = tariff, paid
            changed.append(row)
    DayNumberTotal.objects.bulk_update(changed, ["tariff", "paid"], batch_size=1000)
    return {(row.day, row.number) for row in changed}


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
            "day", "disposition", "tariff", "calls", "billed_seconds", "cost", "paid"
        ).query.sql_with_params()
        sql = DAY_TARIFF_SQL.format(table=DayTariffTotal._meta.db_table, rows=inner)
        with connection.cursor() as cursor:
            cursor.execute(sql, [tenant_id, *params])
        return
    added: dict[tuple, DayTariffTotal] = {}
    paid: dict[tuple, list[Decimal | None]] = {}
    for row in rows.iterator():
        key = (row.day, row.disposition, row.tariff)
        into = added.setdefault(
            key,
            DayTariffTotal(
                tenant_id=tenant_id,
                day=row.day,
                disposition=row.disposition,
                tariff=row.tariff,
                calls=0,
                billed_seconds=0,
                cost=Decimal(0),
            ),
        )
        into.calls += row.calls
        into.billed_seconds += row.billed_seconds
        into.cost += row.cost
        paid.setdefault(key, []).append(row.paid)
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
