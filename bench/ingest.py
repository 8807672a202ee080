"""Figure 3: importing a month of 100,000 billing calls from the sandbox over HTTP, against the floor.

The import is the real sync task (premium.tasks.sync_billing: lock, HTTP, parsing, upsert), run in a
process of its own like a Celery worker's, into the tenant "bench-ingest" emptied first. The floor is
what no import can avoid: parsing the same JSON body and COPYing the same rows into a table shaped
like premium_call (its indexes included), also in a process of its own. The two take turns three times
and the pair with the median ratio is the figure. Then the import runs again on unchanged data: it must
write no call row. Each process reports its own peak memory (ru_maxrss).

    python -m bench.ingest sync <tenant id> <resource> [--count-writes]
    python -m bench.ingest floor <JSON file>
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.environment import DATA_DIR, PYTHON, ROOT, django_environment, free_port, running, wait_for_port

CALLS_PER_MONTH = 100_000
TENANT_SLUG = "bench-ingest"
TARGET_RATIO = 2.0
RUNS = 3  # imports of the month, each beside a floor
TARGET_MEMORY_MB = 300


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def previous_month() -> tuple[int, int]:
    from premium.sync import current_month

    year, month = current_month()
    return (year, month - 1) if month > 1 else (year - 1, 12)


def ingest_tenant(base_url: str):
    """The tenant whose Numery-Premium.PL account points at the bench's sandbox."""
    from accounts.models import Tenant
    from premium.models import PremiumAccount
    from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG, defaults={"name": "Bench ingest"})
    PremiumAccount.objects.update_or_create(
        tenant=tenant, defaults={"email": DEMO_EMAIL, "api_key": DEMO_API_KEY, "base_url": base_url}
    )
    return tenant


def _run_probe(*args: str) -> dict[str, Any]:
    """Run this module in a fresh process (like a worker's) and read the JSON line it prints."""
    result = subprocess.run(
        [str(PYTHON), "-m", "bench.ingest", *args],
        cwd=ROOT,
        env=django_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.ingest {args[0]} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _download(base_url: str, year: int, month: int) -> tuple[float, bytes]:
    """The provider's answer alone, fetched as the client does: (seconds, body)."""
    import requests

    from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL

    form = {"email": DEMO_EMAIL, "apikey": DEMO_API_KEY, "month": f"{month:02d}", "year": str(year)}
    started = time.perf_counter()
    response = requests.request("GET", f"{base_url}/api/prm/voice/billing", data=form, timeout=120)
    seconds = time.perf_counter() - started
    response.raise_for_status()
    return seconds, response.content


def measure() -> dict[str, Any]:
    from django.db import connection

    from accounts.models import SyncStatus
    from premium.models import Call
    from premium.sync import billing_resource

    port = free_port()
    command = [str(PYTHON), "-m", "bench.sandbox_server", "--port", str(port)]
    command += ["--calls-per-month", str(CALLS_PER_MONTH)]
    with running(command, env=django_environment(), log=DATA_DIR / "sandbox.log") as sandbox:
        wait_for_port(port, sandbox)
        base_url = f"http://127.0.0.1:{port}/premium"
        tenant = ingest_tenant(base_url)
        year, month = previous_month()
        month_resource = billing_resource(year, month)
        # The sandbox makes a month's answer once (about a second for 100,000 calls) and then keeps it,
        # as a provider serving a finished month would: the import is timed against the kept answer.
        making_seconds, body = _download(base_url, year, month)
        provider_seconds, _same = _download(base_url, year, month)
        body_file = DATA_DIR / "billing-month.json"
        body_file.write_bytes(body)

        # The import and the floor take turns, RUNS times: the pair with the median ratio is the figure,
        # so that one checkpoint or burst of load elsewhere on the machine does not decide it.
        pairs = []
        for _ in range(RUNS):
            Call.objects.filter(tenant=tenant).delete()
            SyncStatus.objects.filter(tenant=tenant).delete()
            # The deleted calls of the last run have the same ids as the month imported now: left for
            # autovacuum (which 100,000 of 2 million rows do not wake), every new row's unique-index check
            # visits their dead versions, one more each run.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) premium_call")
            first = _run_probe("sync", str(tenant.pk), month_resource)
            floor = _run_probe("floor", str(body_file))
            pairs.append((first["seconds"] / floor["seconds"], first, floor))
        pairs.sort(key=lambda pair: pair[0])
        _ratio, first, floor = pairs[len(pairs) // 2]
        again = _run_probe("sync", str(tenant.pk), month_resource, "--count-writes")
    return {
        "rows": first["rows"],
        "body_mb": len(body) / 1e6,
        "making_seconds": making_seconds,
        "provider_seconds": provider_seconds,
        "import": first,
        "resync": again,
        "floor": floor,
        "ratios": [pair[0] for pair in pairs],
        "tenant_id": tenant.pk,
        "year": year,
        "month": month,
    }


def table(figures: dict[str, Any]) -> list[str]:
    first, again, floor = figures["import"], figures["resync"], figures["floor"]
    ratio = first["seconds"] / floor["seconds"]
    ours = (first["seconds"] - figures["provider_seconds"]) / floor["seconds"]
    mark = " PASS" if ratio <= TARGET_RATIO else " MISS"
    memory_mark = " PASS" if max(first["peak_mb"], again["peak_mb"]) <= TARGET_MEMORY_MB else " MISS"
    return [
        f"| step | seconds | x floor (target <= {TARGET_RATIO:g}) | call rows written | peak memory MB (target <= 300) |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| floor: parse JSON + COPY into a premium_call-shaped table | {floor['seconds']:.2f} | 1.00 | "
        f"{floor['rows']:,} | {floor['peak_mb']:.0f} |",
        f"| import: sync task over HTTP into an empty month | {first['seconds']:.2f} | {ratio:.2f}{mark} | "
        f"{first['new_rows']:,} | {first['peak_mb']:.0f}{memory_mark} |",
        f"| re-sync of unchanged data | {again['seconds']:.2f} | {again['seconds'] / floor['seconds']:.2f} | "
        f"{again['new_rows']:,} new; {again['write_statements']} INSERT/UPDATE/DELETE on premium_call | "
        f"{again['peak_mb']:.0f} |",
        "",
        f"{figures['rows']:,} calls, {figures['body_mb']:.1f} MB of JSON; the sandbox took "
        f"{figures['making_seconds']:.2f} s to make and send it the first time and {figures['provider_seconds']:.2f} s "
        f"to send it again, as it did to the import (the import without that: {ours:.2f} x floor). The import "
        f"and the floor took turns {len(figures['ratios'])} times: "
        f"{', '.join(f'{ratio:.2f}' for ratio in figures['ratios'])} x floor; the median one is shown.",
    ]


# --- The probes, each in a process of its own ----------------------------------------------------


def _probe_sync(tenant_id: int, month_resource: str, count_writes: bool) -> dict[str, Any]:
    from contextlib import nullcontext

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import SyncStatus
    from premium import tasks
    from premium.models import Call

    before = Call.objects.filter(tenant_id=tenant_id).count()
    capture = CaptureQueriesContext(connection) if count_writes else nullcontext()
    started = time.perf_counter()
    with capture:
        tasks.sync_billing(tenant_id, month_resource)
    seconds = time.perf_counter() - started
    status = SyncStatus.objects.get(tenant_id=tenant_id, provider="premium", resource=month_resource)
    if status.last_error:
        raise RuntimeError(f"the sync failed: {status.last_error}")
    rows = Call.objects.filter(tenant_id=tenant_id).count()
    writes = None
    if count_writes:
        writes = sum(
            1
            for query in capture.captured_queries
            if query["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and '"premium_call"' in query["sql"]
        )
    return {
        "seconds": seconds,
        "rows": rows,
        "new_rows": rows - before,
        "write_statements": writes,
        "peak_mb": _peak_mb(),
    }


def _probe_floor(path: str) -> dict[str, Any]:
    import psycopg

    from bench.environment import DATABASE_URL

    body = open(path, "rb").read()  # noqa: SIM115 - read before the clock starts
    with psycopg.connect(DATABASE_URL) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_floor_call")
        connection.execute("CREATE TABLE bench_floor_call (LIKE premium_call INCLUDING ALL)")
        connection.commit()
        started = time.perf_counter()
        rows = json.loads(body)["services"]
        # The provider's local times are read by PostgreSQL itself in the provider's time zone.
        connection.execute("SET TIME ZONE 'Europe/Warsaw'")
        columns = (
            "tenant_id, call_id, number, caller, redirected_to, started_at, answered_at, ended_at, "
            "duration, billed_seconds, disposition, redirect_cost"
        )
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY bench_floor_call ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(
                    (
                        0,
                        row["id"],
                        row["dst"],
                        row["src"],
                        row["toDst"],
                        row["start"],
                        row["answer"],
                        row["end"],
                        row["duration"],
                        row["billsec"],
                        row["disposition"],
                        row["billcost"],
                    )
                )
        connection.commit()
        seconds = time.perf_counter() - started
        connection.execute("DROP TABLE bench_floor_call")
        connection.commit()
    return {"seconds": seconds, "rows": len(rows), "peak_mb": _peak_mb()}


def main(argv: list[str]) -> None:
    from bench.environment import setup_django

    setup_django()
    if argv[0] == "sync":
        result = _probe_sync(int(argv[1]), argv[2], "--count-writes" in argv)
    else:
        result = _probe_floor(argv[1])
    result["at"] = datetime.now(UTC).isoformat()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
