"""What callers paid per day, read from the totals per day and number (as before) and from the totals per
day, call state and tariff (now), for one month of a large account: 1,000 numbers, ~400,000 calls.

    DATABASE_URL=postgres://…/scratch .venv/bin/python -m bench.day_takings

Uses the database of DATABASE_URL (migrated; its tenant "day-takings-bench" is made once and reused),
times summarise() for the month and day_takings() for a week both ways, and prints EXPLAIN ANALYZE.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, date, datetime
from decimal import Decimal

CALLS = 400_000
NUMBERS = 1_000
YEAR, MONTH = 2026, 11
REPEATS = 15

CALLS_SQL = """
WITH numbers AS (
    SELECT (row_number() OVER (ORDER BY number) - 1)::int AS idx, number, redirect_to
    FROM premium_premiumnumber WHERE tenant_id = %(tenant)s
),
raw AS (
    SELECT g, floor(random() * %(numbers)s)::int AS number_idx, random() AS at, random() AS state,
           random() AS talk, 3 + floor(random() * 25)::int AS ring
    FROM generate_series(1, %(calls)s) AS g
),
shaped AS (
    SELECT raw.*, numbers.number, numbers.redirect_to,
           %(start)s::timestamptz + make_interval(secs => floor(raw.at * %(span)s)) AS started_at,
           CASE WHEN raw.state < 0.80 THEN 'ANSWERED' WHEN raw.state < 0.92 THEN 'NO ANSWER'
                WHEN raw.state < 0.97 THEN 'BUSY' ELSE 'FAILED' END AS disposition
    FROM raw JOIN numbers ON numbers.idx = raw.number_idx
),
billed AS (
    SELECT shaped.*,
           CASE WHEN disposition = 'ANSWERED' THEN least(3600, 5 + floor(-240 * ln(1 - talk))::int) ELSE 0 END
               AS billsec
    FROM shaped
)
INSERT INTO premium_call (tenant_id, call_id, number, caller, redirected_to, started_at, answered_at,
                          ended_at, duration, billed_seconds, disposition, redirect_cost)
SELECT %(tenant)s, g, number, '600000001', redirect_to, started_at,
       CASE WHEN disposition = 'ANSWERED' THEN started_at + make_interval(secs => ring) END,
       started_at + make_interval(secs => ring + billsec), ring + billsec, billsec, disposition,
       round((billsec * 10 + 30) / 60) / 100.0
FROM billed
ORDER BY started_at
"""


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def ensure_data():
    from django.db import connection

    from accounts.models import Tenant
    from premium import totals
    from premium.models import Call, PremiumNumber
    from premium.totals import month_period

    tenant, _ = Tenant.objects.get_or_create(slug="day-takings-bench", defaults={"name": "Day takings bench"})
    if PremiumNumber.objects.filter(tenant=tenant).count() != NUMBERS:
        PremiumNumber.objects.filter(tenant=tenant).delete()
        now = datetime.now(UTC)
        PremiumNumber.objects.bulk_create(
            PremiumNumber(
                tenant=tenant,
                number=f"70{4 + i % 5}{i:06d}",
                tariff=4 + i % 5,
                price_net=2 + (4 + i % 5) * 0.5,
                vat_percent=23,
                redirect_to=f"60{i:07d}",
                synced_at=now,
            )
            for i in range(NUMBERS)
        )
    if Call.objects.filter(tenant=tenant).count() != CALLS:
        print(f"making {CALLS:,} calls in {YEAR}-{MONTH:02d}", flush=True)
        Call.objects.filter(tenant=tenant).delete()
        start, end = month_period(YEAR, MONTH)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.7)")
            cursor.execute(
                CALLS_SQL,
                {
                    "tenant": tenant.pk,
                    "numbers": NUMBERS,
                    "calls": CALLS,
                    "start": start,
                    "span": (end - start).total_seconds(),
                },
            )
        began = time.perf_counter()
        totals.rebuild(tenant.pk, [(YEAR, MONTH)])
        print(f"rebuild of the month's totals: {time.perf_counter() - began:.2f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return tenant


def timed(function) -> float:
    """The median of REPEATS runs, in ms."""
    runs = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        function()
        runs.append((time.perf_counter() - began) * 1000)
    return statistics.median(runs)


def explain(sql: str, params: list) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    setup()
    from django.db import connection

    from premium import billing, totals
    from premium.models import DayNumberTotal, DayTariffTotal

    tenant = ensure_data()
    shares = {tariff: Decimal(40) for tariff in range(4, 9)}  # the tenant's share per tariff, percent
    first, last = date(YEAR, MONTH, 1), date(YEAR, MONTH, 30)
    week = (date(YEAR, MONTH, 10), date(YEAR, MONTH, 16))
    print(
        f"rows: {DayNumberTotal.objects.filter(tenant=tenant).count():,} per day and number, "
        f"{DayTariffTotal.objects.filter(tenant=tenant).count():,} per day, state and tariff"
    )

    def before(first_day: date, last_day: date, with_shares: dict) -> list[dict]:
        days = DayNumberTotal.objects.filter(tenant=tenant, day__gte=first_day, day__lte=last_day).order_by()
        rows = days.values("day", "number").annotate(**billing._totals_sums())
        return billing._added_up(rows, "day", tenant, with_shares)

    def now(first_day: date, last_day: date, with_shares: dict) -> list[dict]:
        return list(billing._days_by_tariff(tenant, first_day, last_day, "", with_shares).values())

    old, new = before(first, last, shares), now(first, last, shares)
    assert [(r["day"], r["n_calls"], r["paid"]) for r in old] == [
        (r["day"], r["n_calls"], r["paid"]) for r in new
    ]
    print(
        f"month: paid {sum(r['paid'] for r in new)} both ways; estimated earning per number "
        f"{sum(r['earning'] for r in old)}, per tariff {sum(r['earning'] for r in new)}"
    )
    query = billing.BillingQuery(YEAR, MONTH)
    print(f"month's days, before (per day and number): {timed(lambda: before(first, last, shares)):7.1f} ms")
    print(f"month's days, now (per day and tariff):     {timed(lambda: now(first, last, shares)):7.1f} ms")
    print(f"week's days (home, digest), before:         {timed(lambda: before(*week, {})):7.1f} ms")
    print(
        f"week's days (home, digest), now:            {timed(lambda: billing.day_takings(tenant, *week)):7.1f} ms"
    )
    print(
        "summarise(month, busiest=20) now:          "
        f"{timed(lambda: billing.summarise(query, tenant, busiest=20, shares=shares)):7.1f} ms"
    )
    began = time.perf_counter()
    totals.reprice(tenant.pk, ["704000000"])
    print(f"reprice after one number's price changed:   {(time.perf_counter() - began) * 1000:7.1f} ms")
    began = time.perf_counter()
    totals.reprice(tenant.pk)
    print(f"reprice of every day:                       {(time.perf_counter() - began) * 1000:7.1f} ms")

    days = DayNumberTotal.objects.filter(tenant=tenant, day__gte=first, day__lte=last).order_by()
    inner, params = days.values("day", "number").annotate(**billing._totals_sums()).query.sql_with_params()
    sql = billing.MONEY_SQL.format(key="day", rows=inner, numbers="premium_premiumnumber")
    tariffs = sorted(shares)
    print(
        "\nEXPLAIN ANALYZE, before:\n"
        + explain(sql, [*params, tenant.pk, tariffs, [shares[t] for t in tariffs]])
    )
    rows = DayTariffTotal.objects.filter(tenant=tenant, day__gte=first, day__lte=last)
    grouped = (
        rows.order_by("day")
        .values("day", "tariff")
        .annotate(**billing._totals_sums(), n_paid=billing.Sum("paid"))
    )
    sql, params = grouped.query.sql_with_params()
    print("\nEXPLAIN ANALYZE, now:\n" + explain(sql, params))
    # The busiest numbers' takings still read the totals per day and number, for the 20 listed.
    listed = [f"70{4 + i % 5}{i:06d}" for i in range(20)]
    numbers = days.filter(number__in=listed).values("day", "number").annotate(**billing._totals_sums())
    inner, params = numbers.query.sql_with_params()
    sql = billing.MONEY_SQL.format(key="number", rows=inner, numbers="premium_premiumnumber")
    print(
        "\nEXPLAIN ANALYZE, the 20 busiest numbers' takings:\n"
        + explain(sql, [*params, tenant.pk, tariffs, [shares[t] for t in tariffs]])
    )
    connection.close()


if __name__ == "__main__":
    main()
