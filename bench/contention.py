"""Figure 6: the local-copy pages while a provider is slow and while statements are being made.

One gunicorn as in the Docker image (2 workers) serves every page. The pages of figure 1 (they read
only the local copy) are measured three times, one condition after the other:

    quiet: nothing else runs;
    (a) SPIKON answers in 10 s (the sandbox on a loopback port, --latency 10) and two viewers keep the
        call-centre monitors of two campaigns open (their pages poll every 5 s, as in a browser); a
        worker as docker-compose.yml's worker-interactive refreshes the monitors from the slow SPIKON;
    (b) two members download PDF statements in a loop (bench.statements: asked, made by a worker as
        docker-compose.yml's worker-reports, downloaded).

A page's p95 in (a) and in (b) over its p95 when quiet: target <= 1.5 each.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Any

from bench import loadgen, statements
from bench.environment import (
    DATA_DIR,
    PYTHON,
    compose_worker,
    django_environment,
    free_port,
    running,
    wait_for_port,
    wait_for_worker,
)
from bench.fanout import _delete_queue

TARGET_RATIO = 1.5
SPIKON_LATENCY_SECONDS = 10.0
MONITOR_VIEWERS = 2
STATEMENT_MEMBERS = 2
ROUNDS = 5
CONDITIONS = ("quiet", "slow SPIKON + monitors", "PDF statements")


def _campaigns(tenant) -> list:
    """The sandbox's two campaigns (ids 1 and 2) as the bench tenant's local copy has them."""
    from spikon.models import CallCenterCampaign

    return [
        CallCenterCampaign.objects.update_or_create(tenant=tenant, provider_id=pid, defaults={"name": name})[
            0
        ]
        for pid, name in ((1, "Infolinia"), (2, "Windykacja"))
    ]


def _point_spikon(tenant, base_url: str | None) -> None:
    """The bench tenant's SPIKON account at the sandbox (or back at the loopback port that refuses)."""
    from spikon.models import SpikonAccount
    from spikon.sandbox import DEMO_API_KEY

    account = SpikonAccount.objects.get(tenant=tenant)
    account.base_url = f"{base_url}/spikon" if base_url else "http://127.0.0.1:9"
    account.api_key = DEMO_API_KEY if base_url else "bench-not-a-real-key"
    account.save()


class Viewers:
    """People with a monitor page open: the page, then its HTMX refresh every 5 s, until stopped."""

    def __init__(self, base_url: str, cookie: str, paths: list[str]) -> None:
        from spikon.sync import MONITOR_REFRESH_SECONDS

        self.every = MONITOR_REFRESH_SECONDS
        self.base_url, self.cookie, self.paths = base_url, cookie, paths
        self.stop = threading.Event()
        self.samples = loadgen.Samples()
        self.threads = [threading.Thread(target=self._watch, args=(path,), daemon=True) for path in paths]

    def _watch(self, path: str) -> None:
        headers = {"Cookie": self.cookie}
        htmx = False
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status, _ = loadgen.get(
                    self.base_url + path, {**headers, **({"HX-Request": "true"} if htmx else {})}
                )
            except OSError:
                status = 0
            self.samples.seconds.append(time.perf_counter() - started)
            self.samples.failed += status != 200
            htmx = True
            self.stop.wait(self.every)

    def __enter__(self) -> Viewers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _measure_pages(base_url: str, cookie: str, measured: list, requests: int) -> dict[str, loadgen.Samples]:
    """Every page in ROUNDS turns of requests/ROUNDS each (a page's samples spread over the condition)."""
    samples = {page.label: loadgen.Samples() for page in measured}
    for _ in range(ROUNDS):
        for page in measured:
            loadgen.run(
                base_url + page.path,
                cookie,
                requests=requests // ROUNDS,
                htmx=page.htmx,
                into=samples[page.label],
            )
    return samples


def _statement_filters(tenant) -> dict[str, Any]:
    """The previous month's busy calls (some 20,000: a statement of about 20 s of a worker's CPU)."""
    from bench.ingest import previous_month

    year, month = previous_month()
    return {"year": year, "month": month, "disposition": "BUSY"}


def measure(tenant, user, *, requests: int) -> dict[str, Any]:
    from django.urls import reverse

    from bench.pages import count_queries, pages, session_cookie

    cookie = session_cookie(user)
    _floor, measured = pages(tenant)
    for page in measured:
        count_queries(page, cookie)  # each answers 200 before it is timed
    campaigns = _campaigns(tenant)
    monitors = [
        reverse("spikon:callcenter-monitor", kwargs={"tenant_slug": tenant.slug, "campaign_id": campaign.pk})
        for campaign in campaigns[:MONITOR_VIEWERS]
    ]
    env = django_environment()
    figures: dict[str, Any] = {"requests": requests, "pages": [page.label for page in measured]}
    try:
        _measure(tenant, cookie, measured, monitors, campaigns, env, requests, figures)
    finally:
        _delete_queue()  # what the workers left: monitor refreshes planned ahead, statements not taken
    return figures


def _measure(tenant, cookie, measured, monitors, campaigns, env, requests, figures) -> None:
    from bench.pages import serve

    with serve(workers=2) as (base_url, _process):
        for page in measured:
            loadgen.run(base_url + page.path, cookie, requests=8, htmx=page.htmx)  # warm-up
        print("  quiet", flush=True)
        figures["quiet"] = _latencies(_measure_pages(base_url, cookie, measured, requests))

        print(
            f"  SPIKON answering in {SPIKON_LATENCY_SECONDS:.0f} s, {MONITOR_VIEWERS} monitors watched",
            flush=True,
        )
        port = free_port()
        sandbox = [str(PYTHON), "-m", "bench.sandbox_server", "--port", str(port)]
        sandbox += ["--latency", str(SPIKON_LATENCY_SECONDS)]
        worker = compose_worker("worker-interactive")
        with ExitStack() as stack:
            sandbox_process = stack.enter_context(running(sandbox, env=env, log=DATA_DIR / "sandbox.log"))
            log = DATA_DIR / "worker-interactive.log"
            worker_process = stack.enter_context(running(worker, env=env, log=log))
            stack.callback(_point_spikon, tenant, None)
            wait_for_port(port, sandbox_process)
            _point_spikon(tenant, f"http://127.0.0.1:{port}")
            wait_for_worker(worker_process, _node(worker), 1, log)
            viewers = stack.enter_context(Viewers(base_url, cookie, monitors))
            time.sleep(SPIKON_LATENCY_SECONDS + 2)  # the first refreshes are waiting on SPIKON
            figures["slow_spikon"] = _latencies(_measure_pages(base_url, cookie, measured, requests))
            figures["monitor_views"] = _latency(viewers.samples)
            figures["monitor_refreshes"] = _monitor_refreshes(campaigns)

        # (b) twice: the worker as docker-compose.yml runs it (--niceness), and the same without it, to show
        # what the lower priority buys.
        compose = compose_worker("worker-reports")
        at = compose.index("--niceness") if "--niceness" in compose else None
        plain = compose if at is None else compose[:at] + compose[at + 2 :]
        for key, worker in (("statements_not_niced", plain), ("statements", compose)):
            print(
                f"  {STATEMENT_MEMBERS} members downloading PDF statements in a loop ({' '.join(worker[4:])})"
            )
            log = DATA_DIR / "worker-reports.log"
            with running(worker, env=env, log=log) as worker_process:
                wait_for_worker(worker_process, _node(worker), 1, log)
                people = [
                    statements.member(base_url, tenant, index) for index in range(1, STATEMENT_MEMBERS + 1)
                ]
                statements.clear(tenant)
                try:
                    with statements.Loop(people, _statement_filters(tenant)) as loop:
                        time.sleep(5)  # both statements are being made
                        figures[key] = _latencies(_measure_pages(base_url, cookie, measured, requests))
                finally:
                    statements.clear(tenant)
                figures[f"{key}_made"] = loop.done
                figures[f"{key}_errors"] = loop.errors


def _node(command: list[str]) -> str:
    return command[command.index("--hostname") + 1]


def _monitor_refreshes(campaigns) -> dict[str, Any]:
    from spikon.models import CampaignMonitorSnapshot

    rows = CampaignMonitorSnapshot.objects.filter(campaign__in=campaigns)
    return {"failing": rows.exclude(failing_since=None).count(), "snapshots": rows.count()}


def _latency(samples: loadgen.Samples) -> dict[str, Any] | None:
    if len(samples.seconds) < 2:
        return None
    latency = samples.latency()
    return {
        "p50_ms": latency.p50_ms,
        "p95_ms": latency.p95_ms,
        "failed": latency.failed,
        "requests": latency.requests,
    }


def _latencies(samples: dict[str, loadgen.Samples]) -> dict[str, dict[str, Any]]:
    return {label: _latency(values) for label, values in samples.items()}


def ratios(figures: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per condition, each page's p95 over its quiet p95."""
    quiet = figures["quiet"]
    return {
        condition: {label: figures[condition][label]["p95_ms"] / quiet[label]["p95_ms"] for label in quiet}
        for condition in ("slow_spikon", "statements_not_niced", "statements")
    }


def table(figures: dict[str, Any]) -> list[str]:
    def mark(ratio: float) -> str:
        return "PASS" if ratio <= TARGET_RATIO else "MISS"

    by = ratios(figures)
    lines = [
        "| page | quiet p95 ms | (a) slow SPIKON p95 ms | (a) / quiet (target <= 1.5) | (b) PDF loop, reports "
        "worker not niced: p95 ms | / quiet | (b) PDF loop, worker as in compose (--niceness 10): p95 ms | "
        "/ quiet (target <= 1.5) | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label in figures["pages"]:
        quiet, slow, pdf = (
            figures["quiet"][label],
            figures["slow_spikon"][label],
            figures["statements"][label],
        )
        plain = figures["statements_not_niced"][label]
        a, b, b0 = by["slow_spikon"][label], by["statements"][label], by["statements_not_niced"][label]
        failed = quiet["failed"] + slow["failed"] + pdf["failed"] + plain["failed"]
        lines.append(
            f"| {label} | {quiet['p95_ms']:.1f} | {slow['p95_ms']:.1f} | {a:.2f} {mark(a)} | {plain['p95_ms']:.1f} | "
            f"{b0:.2f} | {pdf['p95_ms']:.1f} | {b:.2f} {mark(b)} | {failed} |"
        )
    views = figures["monitor_views"]
    made = figures["statements_made"] + figures["statements_not_niced_made"]
    errors = figures["statements_errors"] + figures["statements_not_niced_errors"]
    lines += [
        "",
        f"{figures['requests']} requests per page and condition over 4 connections, in {ROUNDS} turns. (a): "
        f"the monitor pages answered in p95 {views['p95_ms']:.0f} ms ({views['requests']} views, "
        f"{views['failed']} failed); the monitors' snapshots marked failing (SPIKON slower than the refresh's "
        f"{_monitor_timeout()}) {figures['monitor_refreshes']['failing']} of "
        f"{figures['monitor_refreshes']['snapshots']}. (b): {len(made)} statements made"
        + (
            f" ({made[0]['calls']:,} calls each, ready after {min(r['ready_seconds'] for r in made):.0f}-"
            f"{max(r['ready_seconds'] for r in made):.0f} s)"
            if made
            else ""
        )
        + (f"; errors: {'; '.join(errors)}" if errors else "")
        + ".",
    ]
    return lines


def _monitor_timeout() -> str:
    from spikon.sync import MONITOR_TIMEOUT

    return f"{MONITOR_TIMEOUT[0]:.0f} s connect + {MONITOR_TIMEOUT[1]:.0f} s read timeout"
