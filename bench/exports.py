"""Figure 4: the CSV export, through gunicorn, with the worker's peak memory; the PDF statement, made by a
worker as the billing page offers it.

The billing CSV is one month's (the page's filters; the API's calls.csv is the same export), the largest
export the product offers. The ten-million-call CSV comes from the tenant "bench-export", whose
previous month holds 10,000,000 calls; the bench tenant's current month is exported beside it: peak
memory that does not grow from one to the other is constant. At ~40,000 calls a second such a month
streams for minutes, longer than gunicorn's default timeout (GUNICORN_TIMEOUT, 120 s): the bench
serves it with the timeout the README tells an operator to set for such months.

Each export runs in a fresh gunicorn with one worker: its peak resident memory (VmHWM) is read after a
warm-up page and again after the export.

The PDF statement of the month of 100,000 calls the ingest figure imported is asked for, made by a
Celery worker as docker-compose.yml's worker-reports and downloaded (bench.statements); the worker's
processes report their peak memory.
"""

from __future__ import annotations

import http.client
import time
from typing import Any
from urllib.parse import urlsplit

from bench.environment import DATA_DIR, children, compose_worker, django_environment, peak_rss_mb, running

EXPORT_TENANT_SLUG = "bench-export"
EXPORT_CALLS = 10_000_000
EXPORT_TIMEOUT_SECONDS = 1800  # GUNICORN_TIMEOUT for the export: the whole month streams in one request
TTFB_TARGET_SECONDS = 1.0
CONSTANT_MEMORY_SLACK_MB = 20


def ensure_export_tenant():
    """The tenant whose previous month holds a million calls (made once, like the rest of the data)."""
    from django.db import connection

    from accounts.models import Membership, Role, Tenant, User
    from bench import data
    from bench.ingest import previous_month
    from premium.models import Call, PremiumNumber

    tenant, _ = Tenant.objects.get_or_create(slug=EXPORT_TENANT_SLUG, defaults={"name": "Bench export"})
    user = User.objects.get(username=data.OPERATOR)
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.OPERATOR})
    if not PremiumNumber.objects.filter(tenant=tenant).exists():
        PremiumNumber.objects.bulk_create(
            PremiumNumber(tenant=tenant, number=f"708{index:06d}", tariff=8, redirect_to=f"60{index:07d}")
            for index in range(data.NUMBERS)
        )
    if Call.objects.filter(tenant=tenant).count() == EXPORT_CALLS:
        return tenant
    data.say(f"making {EXPORT_CALLS:,} calls in one month for the CSV export (some ten minutes)")
    Call.objects.filter(tenant=tenant).delete()
    year, month = previous_month()
    start, end = data.month_bounds(year, month)
    with data.without_indexes("premium_call"), connection.cursor() as cursor:
        cursor.execute(
            data.CALLS_SQL,
            {
                "tenant": tenant.pk,
                "calls": EXPORT_CALLS,
                "months": 1,
                "numbers": data.NUMBERS,
                "month_index": [0],
                "month_start": [start],
                "month_span": [(end - start).total_seconds()],
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE premium_call")
    data.count_totals(tenant)
    return tenant


def fetch(url: str, cookie: str) -> dict[str, Any]:
    """GET `url`; time to the first byte of the body, total time, bytes."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    started = time.perf_counter()
    connection.request("GET", f"{parts.path}?{parts.query}", headers={"Cookie": cookie})
    response = connection.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size = len(first)
    while chunk := response.read(1 << 16):
        size += len(chunk)
    total = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{url} answered {response.status}")
    return {"first_byte_seconds": first_byte, "seconds": total, "bytes": size}


def _export(path: str, cookie: str) -> dict[str, Any]:
    """One export in a fresh one-worker gunicorn: timings and the worker's memory before and after."""
    from bench.pages import serve

    with serve(workers=1, timeout=EXPORT_TIMEOUT_SECONDS) as (base_url, process):
        fetch(f"{base_url}/t/bench/?", cookie)  # warm-up: the worker has loaded everything a page needs
        (worker,) = children(process.pid)
        before = peak_rss_mb(worker)
        result = fetch(base_url + path, cookie)
        result["worker_before_mb"] = before
        result["worker_peak_mb"] = peak_rss_mb(worker)
    return result


def _statement(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    """A statement of the month asked for by a member, made by a reports worker, downloaded."""
    from accounts.models import Tenant
    from bench import statements
    from bench.environment import wait_for_worker
    from bench.pages import serve

    tenant = Tenant.objects.get(pk=tenant_id)
    worker = compose_worker("worker-reports")
    log = DATA_DIR / "worker-reports.log"
    statements.clear(tenant)
    with serve(workers=2) as (base_url, _web), running(worker, env=django_environment(), log=log) as process:
        wait_for_worker(process, worker[worker.index("--hostname") + 1], 1, log)
        try:
            result = statements.statement(
                statements.member(base_url, tenant, 1), {"year": year, "month": month}
            )
            result["worker_peak_mb"] = max(peak_rss_mb(pid) for pid in children(process.pid))
        finally:
            statements.clear(tenant)
    return result


def measure(tenant, cookie: str, ingest: dict[str, Any]) -> dict[str, Any]:
    from bench.ingest import previous_month
    from premium.sync import current_month

    export_tenant = ensure_export_tenant()
    year, month = current_month()
    past_year, past_month = previous_month()
    csv_month = _export(f"/t/{tenant.slug}/premium/billing/calls.csv?year={year}&month={month}", cookie)
    csv_large = _export(
        f"/t/{export_tenant.slug}/premium/billing/calls.csv?year={past_year}&month={past_month}", cookie
    )
    return {
        "csv_month": csv_month,
        "csv_month_rows": _rows(tenant, year, month),
        "csv_large": csv_large,
        "statement": _statement(ingest["tenant_id"], ingest["year"], ingest["month"]),
        "statement_month_rows": ingest["rows"],
    }


def _rows(tenant, year: int, month: int) -> int:
    from premium.billing import BillingQuery

    return BillingQuery(year=year, month=month).calls(tenant).count()


def table(figures: dict[str, Any]) -> list[str]:
    def row(label: str, result: dict[str, Any]) -> str:
        ttfb = result["first_byte_seconds"]
        grew = result["worker_peak_mb"] - result["worker_before_mb"]
        return (
            f"| {label} | {ttfb:.2f} {'PASS' if ttfb < TTFB_TARGET_SECONDS else 'MISS'} | {result['seconds']:.1f} | "
            f"{result['bytes'] / 1e6:.0f} | {result['worker_before_mb']:.0f} -> {result['worker_peak_mb']:.0f} "
            f"(+{grew:.0f}) |"
        )

    small, large = figures["csv_month"], figures["csv_large"]
    growth = (large["worker_peak_mb"] - large["worker_before_mb"]) - (
        small["worker_peak_mb"] - small["worker_before_mb"]
    )
    statement = figures["statement"]
    return [
        "| export | first byte s (target < 1) | total s | MB sent | web worker peak memory MB: before -> after |",
        "| --- | ---: | ---: | ---: | ---: |",
        row(f"CSV, one month of {figures['csv_month_rows']:,} calls", small),
        row(f"CSV, one month of {EXPORT_CALLS:,} calls", large),
        "",
        f"Constant memory (target: the {EXPORT_CALLS:,}-call CSV grows the worker by no more than the small one, "
        f"+ 20 MB): {growth:+.0f} MB {'PASS' if growth <= CONSTANT_MEMORY_SLACK_MB else 'MISS'}.",
        "",
        f"PDF statement of a month of {figures['statement_month_rows']:,} calls ({statement['calls']:,} listed), "
        f"asked for (answered in {statement['asked_seconds'] * 1000:.0f} ms), made by a reports worker, ready "
        f"after {statement['ready_seconds']:.0f} s, downloaded ({statement['bytes'] / 1e6:.1f} MB) after "
        f"{statement['downloaded_seconds']:.0f} s; the worker's peak memory {statement['worker_peak_mb']:.0f} MB.",
    ]
