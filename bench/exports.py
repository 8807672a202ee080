"""Figure 4: the billing CSV (first byte, memory) and the PDF statement, made by a worker as the billing
page offers it.

The billing CSV is one month's (the page's filters; the API's calls.csv is the same export): the bench
tenant's current month is exported through gunicorn, its worker's peak memory (VmHWM) read after a
warm-up page and again after the export. No month holds ten million calls, so the CSV of all the bench
tenant's 10,000,000 calls (24 months) is made by the export's own code (premium.billing.csv_rows and
providers.csv_export.csv_lines) in a process of its own, over a period the page's form would refuse:

    python -m bench.exports csv <tenant id> [--server-side-cursor]

It reports the time to the first line, the lines per second, and its peak memory after 100,000 lines
and at the end (constant memory: no growth between them). It streams for at most STREAM_SECONDS (ten
million lines take minutes; the rate and the memory are flat long before). With --server-side-cursor it
times the first row of the cursor the export used before (Django's iterator(): outside a transaction
a WITH HOLD cursor, which PostgreSQL fills completely before the first row) and stops there.

The PDF statement of the month of 100,000 calls the ingest figure imported is asked for, made by a
Celery worker as docker-compose.yml's worker-reports and downloaded (bench.statements); the worker's
processes report their peak memory.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from bench.environment import (
    DATA_DIR,
    PYTHON,
    ROOT,
    children,
    compose_worker,
    django_environment,
    peak_rss_mb,
    running,
)

TTFB_TARGET_SECONDS = 1.0
CONSTANT_MEMORY_SLACK_MB = 20
STREAM_SECONDS = 180
MEMORY_MARK_LINES = 100_000
CURSOR_WAIT_SECONDS = 120


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


def _probe(tenant_id: int, *options: str) -> dict[str, Any]:
    result = subprocess.run(
        [str(PYTHON), "-m", "bench.exports", "csv", str(tenant_id), *options],
        cwd=ROOT,
        env=django_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the CSV probe failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(tenant, cookie: str, ingest: dict[str, Any]) -> dict[str, Any]:
    from premium.sync import current_month

    year, month = current_month()
    csv_month = _export(f"/t/{tenant.slug}/premium/billing/calls.csv?year={year}&month={month}", cookie)
    return {
        "csv_month": csv_month,
        "csv_month_rows": _rows(tenant, year, month),
        "csv_all": _probe(tenant.pk),
        "csv_all_server_side_cursor": _probe(tenant.pk, "--server-side-cursor"),
        "statement": _statement(ingest["tenant_id"], ingest["year"], ingest["month"]),
        "statement_month_rows": ingest["rows"],
    }


def _rows(tenant, year: int, month: int) -> int:
    from premium.billing import BillingQuery

    return BillingQuery(year=year, month=month).calls(tenant).count()


def table(figures: dict[str, Any]) -> list[str]:
    month, every, cursor = figures["csv_month"], figures["csv_all"], figures["csv_all_server_side_cursor"]
    grew = month["worker_peak_mb"] - month["worker_before_mb"]
    late = every["peak_mb"] - every["mark_mb"]
    statement = figures["statement"]

    def met(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    return [
        "| export | first byte s (target < 1) | lines | lines/s | peak memory MB |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| CSV of the current month ({figures['csv_month_rows']:,} calls) through gunicorn | "
        f"{month['first_byte_seconds']:.2f} {met(month['first_byte_seconds'] < TTFB_TARGET_SECONDS)} | "
        f"{figures['csv_month_rows']:,} | {figures['csv_month_rows'] / month['seconds']:,.0f} | web worker "
        f"{month['worker_before_mb']:.0f} -> {month['worker_peak_mb']:.0f} (+{grew:.0f}) |",
        f"| CSV of all {every['calls']:,} calls (24 months), the export's code in a process of its own | "
        f"{every['first_line_seconds']:.2f} {met(every['first_line_seconds'] < TTFB_TARGET_SECONDS)} | "
        f"{every['lines']:,} in {every['seconds']:.0f} s | {every['lines'] / every['seconds']:,.0f} | "
        f"{every['mark_mb']:.0f} at {MEMORY_MARK_LINES:,} lines -> {every['peak_mb']:.0f} at the end "
        f"(+{late:.0f}, target <= {CONSTANT_MEMORY_SLACK_MB}: {met(late <= CONSTANT_MEMORY_SLACK_MB)}) |",
        f"| the same, read as before with a server-side cursor (WITH HOLD) | {_first(cursor)} | | | |",
        "",
        f"The CSV of all calls streams for at most {STREAM_SECONDS} s ({every['lines']:,} lines here); at "
        f"{every['lines'] / every['seconds']:,.0f} lines a second the whole ten million take "
        f"{every['calls'] / (every['lines'] / every['seconds']) / 60:.0f} min.",
        "",
        f"PDF statement of a month of {figures['statement_month_rows']:,} calls ({statement['calls']:,} listed), "
        f"asked for (answered in {statement['asked_seconds'] * 1000:.0f} ms), made by a reports worker, ready "
        f"after {statement['ready_seconds']:.0f} s, downloaded ({statement['bytes'] / 1e6:.1f} MB) after "
        f"{statement['downloaded_seconds']:.0f} s; the worker's peak memory {statement['worker_peak_mb']:.0f} MB.",
    ]


def _first(cursor: dict[str, Any]) -> str:
    seconds = cursor["first_line_seconds"]
    if seconds is None:
        return f"> {CURSOR_WAIT_SECONDS} MISS"
    return f"{seconds:.2f} {'PASS' if seconds < TTFB_TARGET_SECONDS else 'MISS'}"


# --- The CSV of every call, in a process of its own -------------------------------------------------------


def _own_peak_mb() -> float:
    import os

    return peak_rss_mb(os.getpid())


def _probe_csv(tenant_id: int, server_side_cursor: bool) -> dict[str, Any]:
    from datetime import date

    from django.db.models import Min

    from premium import billing
    from premium.models import Call
    from providers.csv_export import RAW, csv_lines

    calls = Call.objects.filter(tenant_id=tenant_id)
    first = calls.aggregate(first=Min("started_at"))["first"].astimezone(billing.WARSAW).date()
    today = date.today()
    query = billing.BillingQuery(year=today.year, month=today.month, date_from=first, date_to=today)
    total = query.calls(calls.first().tenant).count()
    started = time.perf_counter()
    if server_side_cursor:
        from django.db import OperationalError, connection

        keys = [column.key for column in billing.csv_columns()]
        rows = query.calls(calls.first().tenant).order_by("started_at", "id").values_list(*keys)
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = '{CURSOR_WAIT_SECONDS}s'")
        try:
            next(iter(rows.iterator(chunk_size=billing.CSV_FETCH_ROWS)))
        except OperationalError:  # still filling the cursor: the figure is "more than CURSOR_WAIT_SECONDS"
            return {"calls": total, "first_line_seconds": None}
        return {"calls": total, "first_line_seconds": time.perf_counter() - started}
    lines = csv_lines(billing.csv_columns(), billing.csv_rows(query, calls.first().tenant), RAW)
    next(lines)  # the header
    first_chunk = next(lines)
    first_line = time.perf_counter() - started
    count = first_chunk.count("\n")
    mark = None
    for chunk in lines:
        count += chunk.count("\n")
        if mark is None and count >= MEMORY_MARK_LINES:
            mark = _own_peak_mb()
        if time.perf_counter() - started > STREAM_SECONDS:
            break
    return {
        "calls": total,
        "first_line_seconds": first_line,
        "lines": count,
        "seconds": time.perf_counter() - started,
        "mark_mb": mark or _own_peak_mb(),
        "peak_mb": _own_peak_mb(),
    }


def main(argv: list[str]) -> None:
    from bench.environment import setup_django

    setup_django()
    if argv[0] == "csv":
        print(json.dumps(_probe_csv(int(argv[1]), "--server-side-cursor" in argv[2:])))


if __name__ == "__main__":
    main(sys.argv[1:])
