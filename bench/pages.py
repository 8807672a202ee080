"""Figures 1 and 2: each page's latency under load, next to the floor page's, and its queries.

gunicorn runs as in the Docker image (`gunicorn config.wsgi --config config/gunicorn.py`, 2 workers) on
a loopback port; bench.loadgen makes the requests with the session cookie of the bench tenant's operator.

The floor is a member's own notification settings (alerts: "My notifications"): it goes through the
same middleware, login, tenant and role resolution and the same layout (navigation, tenant switcher) as
every page, and reads one row. A page cannot cost less than that, so a page's p95 over the floor's p95 is
what the page itself adds. The tenant overview (the home page, which reads a little of everything) is
measured against it like every other page.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

from bench import loadgen
from bench.environment import (
    DATA_DIR,
    PYTHON,
    ROOT,
    children,
    django_environment,
    free_port,
    peak_rss_mb,
    running,
    wait_for_port,
)

TARGET_RATIO = 2.0
ROUNDS = 20  # short turns: a burst of load from elsewhere on the machine falls on both alike
PER_PAGE = 50  # the billing page's page size (premium.views.billing.PER_PAGE)


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    htmx: bool = False


@dataclass
class PageResult:
    page: Page
    queries: int
    bytes: int
    latency: loadgen.Latency | None = None
    floor: loadgen.Latency | None = None
    ratio: float | None = None


def session_cookie(user) -> str:
    """A logged-in session of `user`, made directly in the session store (no login form, no password)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _last_page_cursor(tenant, year: int, month: int) -> str:
    """The billing cursor whose page is the month's oldest calls: the last page an operator can reach."""
    from accounts.pagination import _encode  # the page's own cursor format
    from premium.billing import BillingQuery

    calls = BillingQuery(year=year, month=month).calls(tenant).order_by("started_at", "id")
    total = calls.count()
    on_last_page = total % PER_PAGE or PER_PAGE
    started_at, call_id = calls.values_list("started_at", "id")[on_last_page]
    return _encode([started_at, call_id])


def pages(tenant) -> tuple[Page, list[Page]]:
    """The floor page and the pages measured against it."""
    from bench import spikon_data
    from premium.models import PremiumNumber
    from premium.sync import current_month

    base = f"/t/{tenant.slug}"
    year, month = current_month()
    past_year, past_month = (year, month - 6) if month > 6 else (year - 1, month + 6)
    number = (
        PremiumNumber.objects.filter(tenant=tenant).order_by("number").values_list("number", flat=True)[500]
    )
    cursor = _last_page_cursor(tenant, year, month)
    billing = f"{base}/premium/billing/"
    measured = [
        Page("tenant overview (home)", f"{base}/"),
        Page("numbers list", f"{base}/premium/numbers/"),
        Page("billing: month, no filter", billing),
        Page("billing: filtered by number", f"{billing}?number={number}"),
        Page("billing: last page", f"{billing}?after={cursor}"),
        Page("billing: last page, rows only (HTMX)", f"{billing}?after={cursor}", htmx=True),
        Page("billing: a month in the past", f"{billing}?year={past_year}&month={past_month}"),
        Page("billing: month, one call state", f"{billing}?disposition=BUSY"),
        *(Page(label, path) for label, path in spikon_data.pages(tenant)),
        Page("audit log", f"{base}/audit/"),
    ]
    return Page("floor: my notifications", f"{base}/alerts/mine/"), measured


def count_queries(page: Page, cookie: str) -> tuple[int, int]:
    """(queries, response bytes) of one request made in this process; the page must answer 200."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    name, _, value = cookie.partition("=")
    client.cookies[name] = value
    headers: dict[str, Any] = {"HX-Request": "true"} if page.htmx else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{page.label}: {page.path} answered {response.status_code}")
    return len(queries.captured_queries), len(response.content)


def collect_static() -> None:
    """The manifest of static files that DEBUG-off pages need (into var/bench/static)."""
    subprocess.run(
        [str(PYTHON), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=django_environment(),
        check=True,
    )


def gunicorn_command() -> list[str]:
    """The Docker image's command (Dockerfile CMD), from this virtual environment."""
    return [str(PYTHON.parent / "gunicorn"), "config.wsgi", "--config", "config/gunicorn.py"]


def serve(workers: int = 2, timeout: int | None = None):
    """gunicorn on a free loopback port: a context manager yielding (base URL, process)."""
    from contextlib import contextmanager

    @contextmanager
    def serving():
        port = free_port()
        env = {**django_environment(), "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
        if timeout is not None:
            env["GUNICORN_TIMEOUT"] = str(timeout)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        with running(gunicorn_command(), env=env, log=DATA_DIR / "gunicorn.log") as process:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}", process

    return serving()


def measure(tenant, user, *, requests: int, only: str = "") -> dict[str, Any]:
    """Latency and queries of every page (or of those whose label contains `only`)."""
    cookie = session_cookie(user)
    floor, measured = pages(tenant)
    if only:
        measured = [page for page in measured if only in page.label]
    collect_static()
    results = [PageResult(page, *count_queries(page, cookie)) for page in measured]
    with serve(workers=2) as (base_url, process):
        # The machine may be shared: the floor and the page take turns in ROUNDS blocks of requests, so
        # that both see the same background load and their ratio does not drift with it.
        for result in results:
            floor_samples, page_samples = loadgen.Samples(), loadgen.Samples()
            for page in (floor, result.page):
                loadgen.run(base_url + page.path, cookie, requests=16, htmx=page.htmx)  # warm-up
            for _ in range(ROUNDS):
                for page, samples in ((floor, floor_samples), (result.page, page_samples)):
                    url = base_url + page.path
                    loadgen.run(url, cookie, requests=requests // ROUNDS, htmx=page.htmx, into=samples)
            result.floor, result.latency = floor_samples.latency(), page_samples.latency()
            result.ratio = result.latency.p95_ms / result.floor.p95_ms
            print(
                f"  {result.page.label}: p50 {result.latency.p50_ms:.1f} ms, p95 {result.latency.p95_ms:.1f} ms "
                f"(floor p95 {result.floor.p95_ms:.1f} ms)",
                flush=True,
            )
        worker_memory = [peak_rss_mb(pid) for pid in children(process.pid)]
    floor_queries, floor_bytes = count_queries(floor, cookie)
    return {
        "floor": floor,
        "floor_queries": floor_queries,
        "floor_bytes": floor_bytes,
        "results": results,
        "worker_peak_mb": worker_memory,
        "requests": requests,
    }


def table(figures: dict[str, Any]) -> list[str]:
    lines = [
        f"| page | queries | KB | p50 ms | p95 ms | floor p95 ms | p95 / floor p95 (target <= {TARGET_RATIO:g}) | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {figures['floor'].label} | {figures['floor_queries']} | {figures['floor_bytes'] / 1024:.0f} | "
        "| | | 1 | |",
    ]
    for result in figures["results"]:
        latency = result.latency
        mark = " PASS" if result.ratio <= TARGET_RATIO else " MISS"
        lines.append(
            f"| {result.page.label} | {result.queries} | {result.bytes / 1024:.0f} | {latency.p50_ms:.1f} | "
            f"{latency.p95_ms:.1f} | {result.floor.p95_ms:.1f} | {result.ratio:.2f}{mark} | "
            f"{latency.failed + result.floor.failed} |"
        )
    memory = ", ".join(f"{mb:.0f}" for mb in figures["worker_peak_mb"])
    lines.append("")
    lines.append(
        f"{figures['requests']} requests per page over 4 connections to gunicorn with 2 workers, in {ROUNDS} blocks "
        f"taking turns with as many requests of the floor (its p95 in the table); workers' peak memory {memory} MB."
    )
    return lines
