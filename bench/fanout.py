"""Figure 5: 200 tenants' accounts synced by 4 worker processes against a sandbox 100 ms away.

Tenants bench-fanout-001 ... 200 each have a Numery-Premium.PL account (numbers, balance, wallet,
invoices, the current billing month) and a SerwerSMS.pl account (subaccounts), pointing at a sandbox
whose every answer takes 100 ms more. The bench queues every sync as the beat fan-outs would (through
accounts.sync.queue_sync, onto the bench's own queue) and a real Celery worker with 4 processes on the
machine's Redis works them off. The ideal wall time is the provider time the sandbox measured, summed
over all requests, divided by the 4 processes.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.environment import (
    DATA_DIR,
    PYTHON,
    QUEUE,
    REDIS_URL,
    children,
    django_environment,
    free_port,
    peak_rss_mb,
    running,
    wait_for_port,
)

TENANTS = 200
PROCESSES = 4
LATENCY_SECONDS = 0.1
TARGET_RATIO = 1.5
PREMIUM_RESOURCES = ("numbers", "balance", "wallet", "invoices")


def ensure_tenants(base_url: str) -> list:
    """The fan-out tenants, their accounts pointed at this run's sandbox, their sync state cleared."""
    from accounts.models import SyncStatus, Tenant
    from premium.models import PremiumAccount
    from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL
    from sms.models import SerwerSmsAccount
    from sms.sandbox import DEMO_TOKEN

    tenants = []
    for index in range(1, TENANTS + 1):
        tenant, _ = Tenant.objects.get_or_create(
            slug=f"bench-fanout-{index:03d}", defaults={"name": f"Bench fan-out {index:03d}"}
        )
        PremiumAccount.objects.update_or_create(
            tenant=tenant,
            defaults={"email": DEMO_EMAIL, "api_key": DEMO_API_KEY, "base_url": f"{base_url}/premium"},
        )
        SerwerSmsAccount.objects.update_or_create(
            tenant=tenant,
            defaults={
                "auth_method": SerwerSmsAccount.AuthMethod.TOKEN,
                "api_token": DEMO_TOKEN,
                "base_url": f"{base_url}/sms",
            },
        )
        tenants.append(tenant)
    SyncStatus.objects.filter(tenant__in=tenants).delete()
    return tenants


def _provider_time(base_url: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{base_url}/__bench__/time", timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def worker_command() -> list[str]:
    return [
        str(Path(PYTHON).parent / "celery"),
        "-A",
        "config",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(PROCESSES),
        "--queues",
        "interactive,sync,reports",
        "--hostname",
        f"{QUEUE}@%h",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def _delete_queue() -> None:
    """Every message and key the bench left under its broker namespace."""
    import redis

    broker = redis.Redis.from_url(REDIS_URL)
    for key in broker.scan_iter(match=f"{QUEUE}:*"):
        broker.delete(key)


def measure() -> dict[str, Any]:
    from accounts.models import SyncStatus
    from accounts.sync import queue_sync
    from premium.sync import SYNC_KEY as PREMIUM
    from premium.sync import billing_resource, current_month
    from sms.sync import RESOURCE as SUBACCOUNTS
    from sms.sync import SYNC_KEY as SMS

    port = free_port()
    env = django_environment()
    sandbox_command = [str(PYTHON), "-m", "bench.sandbox_server", "--port", str(port)]
    sandbox_command += ["--latency", str(LATENCY_SECONDS)]
    resources = [(PREMIUM, name) for name in (*PREMIUM_RESOURCES, billing_resource(*current_month()))]
    resources.append((SMS, SUBACCOUNTS))
    try:
        with (
            running(sandbox_command, env=env, log=DATA_DIR / "sandbox.log") as sandbox,
            running(worker_command(), env=env, log=DATA_DIR / "worker.log") as worker,
        ):
            wait_for_port(port, sandbox)
            base_url = f"http://127.0.0.1:{port}"
            tenants = ensure_tenants(base_url)
            _wait_for_worker(worker)
            started = time.perf_counter()
            for tenant in tenants:
                for provider, resource in resources:
                    queue_sync(tenant, provider, resource)
            expected = len(tenants) * len(resources)
            done = SyncStatus.objects.filter(tenant__in=tenants, running_since__isnull=True).exclude(
                last_attempt_at__isnull=True
            )
            while done.count() < expected:
                if time.perf_counter() - started > 600:
                    raise RuntimeError(
                        f"the fan-out did not finish in 10 minutes ({done.count()}/{expected})"
                    )
                time.sleep(0.1)
            wall = time.perf_counter() - started
            provider = _provider_time(base_url)
            failed = SyncStatus.objects.filter(tenant__in=tenants).exclude(last_error="").count()
            memory = [peak_rss_mb(pid) for pid in children(worker.pid)]
    finally:
        # Once the worker has stopped: a stopping worker puts back the messages it had taken.
        _delete_queue()
    return {
        "syncs": expected,
        "failed": failed,
        "wall_seconds": wall,
        "provider_requests": provider["requests"],
        "provider_seconds": provider["seconds"],
        "ideal_seconds": provider["seconds"] / PROCESSES,
        "worker_peak_mb": memory,
    }


def _wait_for_worker(worker) -> None:
    """Until the worker's 4 processes are forked and ready (their start is not part of the figure)."""
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("the Celery worker exited at start; see var/bench/worker.log")
        replies = app.control.ping(destination=[f"{QUEUE}@{_hostname()}"], timeout=0.5)
        if replies and len(children(worker.pid)) >= PROCESSES:
            return
    raise RuntimeError("the Celery worker did not answer within a minute")


def _hostname() -> str:
    import socket

    return socket.gethostname()


def table(figures: dict[str, Any]) -> list[str]:
    ratio = figures["wall_seconds"] / figures["ideal_seconds"]
    mark = " PASS" if ratio <= TARGET_RATIO else " MISS"
    memory = ", ".join(f"{mb:.0f}" for mb in figures["worker_peak_mb"])
    return [
        "| syncs | provider requests | provider time s | ideal s (/ 4) | wall s | wall / ideal (target <= 1.5) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {figures['syncs']:,} ({figures['failed']} failed) | {figures['provider_requests']:,} | "
        f"{figures['provider_seconds']:.1f} | {figures['ideal_seconds']:.1f} | {figures['wall_seconds']:.1f} | "
        f"{ratio:.2f}{mark} |",
        "",
        f"{TENANTS} tenants x (5 Numery-Premium.PL resources + SerwerSMS.pl subaccounts), sandbox latency "
        f"{LATENCY_SECONDS * 1000:.0f} ms, Celery prefork worker with {PROCESSES} processes (peak memory {memory} MB).",
    ]
