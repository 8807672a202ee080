"""Figure 4: the CSV export and the PDF statement, through gunicorn, with the worker's peak memory.

The billing CSV is one month's (the page's filters), so the million-call CSV comes from the tenant
"bench-export", whose previous month holds 1,000,000 calls; the bench tenant's current month (about
83,000 calls) is exported beside it: peak memory that does not grow from one to the other is constant.
The PDF statements are of the month of 100,000 calls the ingest figure imported.

Each export runs in a fresh gunicorn with one worker: its peak resident memory (VmHWM) is read after a
warm-up page and again after the export. The full statement, which lists every call, is made by the
Celery task premium.tasks.render_statement in a process of its own, which reports its peak memory:

    python -m bench.exports full-statement <tenant id> <year> <month>
"""

from __future__ import annotations

import http.client
import json
import resource
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from bench.environment import PYTHON, ROOT, children, django_environment, peak_rss_mb

EXPORT_TENANT_SLUG = "bench-export"
EXPORT_CALLS = 1_000_000
TTFB_TARGET_SECONDS = 1.0


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
    data.say(f"making {EXPORT_CALLS:,} calls in one month for the CSV export (about a minute)")
    Call.objects.filter(tenant=tenant).delete()
    year, month = previous_month()
    start, end = data.month_bounds(year, month)
    with connection.cursor() as cursor:
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

    with serve(workers=1) as (base_url, process):
        fetch(f"{base_url}/t/bench/?", cookie)  # warm-up: the worker has loaded everything a page needs
        (worker,) = children(process.pid)
        before = peak_rss_mb(worker)
        result = fetch(base_url + path, cookie)
        result["worker_before_mb"] = before
        result["worker_peak_mb"] = peak_rss_mb(worker)
    return result


def _full_statement_probe(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    result = subprocess.run(
        [str(PYTHON), "-m", "bench.exports", "full-statement", str(tenant_id), str(year), str(month)],
        cwd=ROOT,
        env=django_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the full statement probe failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(tenant, cookie: str, ingest: dict[str, Any]) -> dict[str, Any]:
    from bench.ingest import previous_month
    from premium.sync import current_month

    export_tenant = ensure_export_tenant()
    year, month = current_month()
    past_year, past_month = previous_month()
    csv_month = _export(f"/t/{tenant.slug}/premium/billing/calls.csv?year={year}&month={month}", cookie)
    csv_million = _export(
        f"/t/{export_tenant.slug}/premium/billing/calls.csv?year={past_year}&month={past_month}", cookie
    )
    from accounts.models import Membership, Role, Tenant, User
    from bench.data import OPERATOR

    ingest_tenant = Tenant.objects.get(pk=ingest["tenant_id"])
    Membership.objects.get_or_create(
        user=User.objects.get(username=OPERATOR), tenant=ingest_tenant, defaults={"role": Role.OPERATOR}
    )
    pdf = _export(
        f"/t/{ingest_tenant.slug}/premium/billing/statement.pdf?year={ingest['year']}&month={ingest['month']}",
        cookie,
    )
    full = _full_statement_probe(ingest["tenant_id"], ingest["year"], ingest["month"])
    return {
        "csv_month": csv_month,
        "csv_month_rows": _rows(tenant, year, month),
        "csv_million": csv_million,
        "pdf": pdf,
        "pdf_month_rows": ingest["rows"],
        "full_statement": full,
    }


def _rows(tenant, year: int, month: int) -> int:
    from premium.billing import BillingQuery

    return BillingQuery(year=year, month=month).calls(tenant).count()


def table(figures: dict[str, Any]) -> list[str]:
    def row(label: str, result: dict[str, Any], target_ttfb: bool) -> str:
        ttfb = result["first_byte_seconds"]
        mark = " MISSED" if target_ttfb and ttfb >= TTFB_TARGET_SECONDS else ""
        grew = result["worker_peak_mb"] - result["worker_before_mb"]
        return (
            f"| {label} | {ttfb:.2f}{mark} | {result['seconds']:.1f} | {result['bytes'] / 1e6:.1f} | "
            f"{result['worker_before_mb']:.0f} -> {result['worker_peak_mb']:.0f} (+{grew:.0f}) |"
        )

    from premium.billing import STATEMENT_CALL_LIMIT, STATEMENT_PART_CALLS

    full, rows = figures["full_statement"], figures["pdf_month_rows"]
    return [
        "| export | first byte s (CSV target < 1) | total s | MB sent | worker peak memory MB: before -> after |",
        "| --- | ---: | ---: | ---: | ---: |",
        row(f"CSV, one month of {figures['csv_month_rows']:,} calls", figures["csv_month"], True),
        row(f"CSV, one month of {EXPORT_CALLS:,} calls", figures["csv_million"], True),
        row(
            f"PDF statement, month of {rows:,} calls (lists the first {STATEMENT_CALL_LIMIT:,})",
            figures["pdf"],
            False,
        ),
        "",
        f"Full statement of the same month (Celery task, parts of {STATEMENT_PART_CALLS:,} calls joined with "
        f"pypdf): {full['calls']:,} calls on {full['pages']:,} pages, {full['bytes'] / 1e6:.1f} MB, "
        f"{full['seconds']:.0f} s, peak memory of its process {full['peak_mb']:.0f} MB.",
    ]


# --- The full statement probe, in a process of its own ------------------------------------------------------


def _probe_full_statement(tenant_id: int, year: int, month: int) -> dict[str, Any]:
    """A full statement made by its task here, as a worker would, then deleted with its file."""
    from premium import tasks
    from premium.models import Statement

    statement = Statement.objects.create(tenant_id=tenant_id, year=year, month=month)
    started = time.perf_counter()
    tasks.render_statement(statement.pk)
    seconds = time.perf_counter() - started
    statement.refresh_from_db()
    if statement.state != Statement.State.READY:
        raise RuntimeError(f"the full statement failed: {statement.error}")
    result = {
        "seconds": seconds,
        "calls": statement.calls,
        "pages": statement.pages,
        "bytes": statement.file.size,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    statement.file.delete(save=False)
    statement.delete()
    return result


def main(argv: list[str]) -> None:
    from bench.environment import setup_django

    setup_django()
    if argv[0] == "full-statement":
        print(json.dumps(_probe_full_statement(*(int(value) for value in argv[1:4]))))


if __name__ == "__main__":
    main(sys.argv[1:])
