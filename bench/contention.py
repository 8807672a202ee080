"""Figure 6: the local-copy pages while a provider is slow and while statements are being made.

One gunicorn as in the Docker image (2 workers) serves every page. The pages of figure 1 (they read
only the local copy) are measured in three conditions:

    quiet: nothing else runs;
    (a) SPIKON answers in 10 s (the sandbox on a loopback port, --latency 10) and two viewers keep the
        call-centre monitors of two campaigns open (their pages poll every 5 s, as in a browser); a
        worker as docker-compose.yml's worker-interactive refreshes the monitors from the slow SPIKON;
    (b) two members download PDF statements in a loop (bench.statements: asked, made by a worker as
        docker-compose.yml's worker-reports, downloaded).

The machine may be shared, so the conditions take turns, as the pages take turns with the floor in
figure 1: in each of ROUNDS rounds every page gets a short turn quiet, (a), quiet, (b). A burst of load
from elsewhere then falls on every condition alike. Each condition's load runs only in its own turns:
its people (monitor viewers, statement members) wait at a Gate while it is shut, and its worker (started
by the bench, stopped by its PID) is frozen with SIGSTOP and thawed with SIGCONT.

A page's p95 in (a) and in (b) over its quiet p95, and the same for every page's requests together:
target <= 1.5 each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench import loadgen, statements
from bench.environment import (
    DATA_DIR,
    PYTHON,
    ROOT,
    children,
    compose_worker,
    django_environment,
    free_port,
    running,
    wait_for_port,
    wait_for_worker,
)
from bench.fanout import _delete_queue
from bench.pages import ROUNDS

TARGET_RATIO = 1.5
SPIKON_LATENCY_SECONDS = 10.0
MONITOR_VIEWERS = 2
STATEMENT_MEMBERS = 2
TURNS = ("quiet", "slow_spikon", "quiet", "statements")  # one round of one page
CONDITIONS = ("slow_spikon", "statements")
NAMES = {"slow_spikon": "(a) slow SPIKON + monitors", "statements": "(b) PDF statements in a loop"}
EVERY_PAGE = "every page together"


class Gate:
    """Lets a condition's people act only during its turns.

    While it is shut, their requests wait; shutting waits for the requests under way, so none spills into
    the next turn. Their pauses (a monitor's 5 s between refreshes, a member's 2 s between looks at the
    list) count only the time it is open: over the condition's turns they act at their real pace.
    """

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._open = False
        self._ended = False
        self._under_way = 0
        self._opened_at = 0.0
        self._banked = 0.0  # open seconds before the last opening

    def clock(self) -> float:
        """Seconds it has been open."""
        with self._state:
            return self._clock()

    def _clock(self) -> float:
        return self._banked + (time.monotonic() - self._opened_at if self._open else 0.0)

    def open(self) -> None:
        with self._state:
            self._open, self._opened_at = True, time.monotonic()
            self._state.notify_all()

    def shut(self) -> None:
        with self._state:
            if self._open:
                self._banked, self._open = self._clock(), False
            self._state.wait_for(lambda: self._under_way == 0)

    def end(self) -> None:
        """For good: nobody waits any more (the people are being stopped)."""
        with self._state:
            self._ended = True
            self._state.notify_all()

    @contextmanager
    def inside(self) -> Iterator[None]:
        """One request: once the gate is open, and counted as under way until it is answered."""
        with self._state:
            self._state.wait_for(lambda: self._open or self._ended)
            self._under_way += 1
        try:
            yield
        finally:
            with self._state:
                self._under_way -= 1
                self._state.notify_all()

    def sleep(self, seconds: float) -> None:
        """Until it has been open `seconds` more (or has ended)."""
        with self._state:
            until = self._clock() + seconds
            while not self._ended and self._clock() < until:
                self._state.wait(until - self._clock() if self._open else None)


class Load:
    """A condition's background load: its people behind a gate, its workers frozen outside its turns."""

    def __init__(self, gate: Gate, workers: list[subprocess.Popen]) -> None:
        self.gate, self.workers = gate, workers

    def on(self) -> None:
        for worker in self.workers:
            os.killpg(worker.pid, signal.SIGCONT)
        self.gate.open()

    def off(self) -> None:
        self.gate.shut()
        # The worker's process group: the Celery main process and its pool, all started by the bench.
        for worker in self.workers:
            os.killpg(worker.pid, signal.SIGSTOP)

    @contextmanager
    def frozen(self) -> Iterator[Load]:
        """Off until the turns start; on when leaving (a stopped worker cannot take SIGTERM)."""
        self.off()
        try:
            yield self
        finally:
            for worker in self.workers:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGCONT)
            self.gate.end()


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
    """People with a monitor page open: the page, then its HTMX refresh every 5 s (of the gate's open
    time), until stopped."""

    def __init__(self, base_url: str, cookie: str, paths: list[str], gate: Gate) -> None:
        from spikon.sync import MONITOR_REFRESH_SECONDS

        self.every = MONITOR_REFRESH_SECONDS
        self.base_url, self.cookie, self.paths, self.gate = base_url, cookie, paths, gate
        self.stop = threading.Event()
        self.samples = loadgen.Samples()
        self.threads = [threading.Thread(target=self._watch, args=(path,), daemon=True) for path in paths]

    def _watch(self, path: str) -> None:
        headers = {"Cookie": self.cookie}
        htmx = False
        while not self.stop.is_set():
            with self.gate.inside():
                if self.stop.is_set():
                    return
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
            self.gate.sleep(self.every)

    def __enter__(self) -> Viewers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.gate.end()
        for thread in self.threads:
            thread.join(timeout=30)


def _statement_filters(tenant, index: int) -> dict[str, Any]:
    """Member `index`'s statement: one number's calls of a month of its own, `index` months back (some 400
    calls, a few pages): asked, made and downloaded many times within (b)'s turns, so that the figure holds
    the whole loop, downloads included, not one long statement still being made when (b) ends."""
    from premium.models import PremiumNumber
    from premium.sync import current_month

    year, month = current_month()
    month -= index
    if month < 1:
        year, month = year - 1, month + 12
    number = (
        PremiumNumber.objects.filter(tenant=tenant)
        .order_by("number")
        .values_list("number", flat=True)[100 * index]
    )
    return {"year": year, "month": month, "number": number}


def measure(tenant, user, *, requests: int) -> dict[str, Any]:
    from django.urls import reverse

    from bench.pages import collect_static, count_queries, pages, session_cookie

    cookie = session_cookie(user)
    _floor, measured = pages(tenant)
    collect_static()  # the pages need the manifest also when this figure runs alone
    for page in measured:
        count_queries(page, cookie)  # each answers 200 before it is timed
    campaigns = _campaigns(tenant)
    monitors = [
        reverse("spikon:callcenter-monitor", kwargs={"tenant_slug": tenant.slug, "campaign_id": campaign.pk})
        for campaign in campaigns[:MONITOR_VIEWERS]
    ]
    figures: dict[str, Any] = {
        "requests": requests,
        "rounds": ROUNDS,
        "pages": [page.label for page in measured],
    }
    statements.clear(tenant)
    try:
        _measure(tenant, cookie, measured, monitors, campaigns, requests, figures)
    finally:
        statements.clear(tenant)
        _delete_queue()  # what the workers left: monitor refreshes planned ahead, statements not taken
    return figures


def _measure(tenant, cookie, measured, monitors, campaigns, requests, figures) -> None:
    from bench.pages import serve

    env = django_environment()
    port = free_port()
    sandbox = [str(PYTHON), "-m", "bench.sandbox_server", "--port", str(port)]
    sandbox += ["--latency", str(SPIKON_LATENCY_SECONDS)]
    interactive, reports = compose_worker("worker-interactive"), compose_worker("worker-reports")
    # Their tasks' time limits stretched by the time they are frozen (bench.frozen_settings).
    worker_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.frozen_settings"}
    with ExitStack() as stack:
        base_url, _web = stack.enter_context(serve(workers=2))
        for page in measured:
            loadgen.run(base_url + page.path, cookie, requests=8, htmx=page.htmx)  # warm-up
        sandbox_process = stack.enter_context(running(sandbox, env=env, log=DATA_DIR / "sandbox.log"))
        workers = {}
        for name, command in (("interactive", interactive), ("reports", reports)):
            log = DATA_DIR / f"worker-{name}.log"
            workers[name] = stack.enter_context(running(command, env=worker_env, log=log))
            figures[f"{name}_cpu_weight"] = _weigh_as_in_compose(workers[name], f"worker-{name}")
            wait_for_worker(workers[name], _node(command), 1, log)
        figures["reports_pool_idle"] = _pool_at_idle_priority(workers["reports"].pid)
        stack.callback(_point_spikon, tenant, None)
        wait_for_port(port, sandbox_process)
        _point_spikon(tenant, f"http://127.0.0.1:{port}")

        slow = stack.enter_context(Load(Gate(), [workers["interactive"]]).frozen())
        pdf = stack.enter_context(Load(Gate(), [workers["reports"]]).frozen())
        loads = {"slow_spikon": slow, "statements": pdf}
        viewers = stack.enter_context(Viewers(base_url, cookie, monitors, slow.gate))
        numbers = range(1, STATEMENT_MEMBERS + 1)
        people = [statements.member(base_url, tenant, index, pdf.gate) for index in numbers]
        loop = stack.enter_context(
            statements.Loop(people, [_statement_filters(tenant, index) for index in numbers])
        )
        stack.callback(pdf.gate.end)  # before the loop is stopped: no member waits for a turn any more
        # Each condition first runs alone until it is under way: the first monitor refreshes waiting on
        # SPIKON, both statements asked and being made.
        for load, seconds in ((slow, SPIKON_LATENCY_SECONDS + 2), (pdf, 5.0)):
            load.on()
            time.sleep(seconds)
            load.off()

        print(
            f"  {ROUNDS} rounds, each page in turns: quiet, SPIKON answering in {SPIKON_LATENCY_SECONDS:.0f} s "
            f"with {MONITOR_VIEWERS} monitors watched, quiet, {STATEMENT_MEMBERS} members downloading PDF "
            f"statements in a loop ({' '.join(reports[4:])})",
            flush=True,
        )
        samples = _take_turns(base_url, cookie, measured, requests, loads)
        figures["seconds"] = {condition: load.gate.clock() for condition, load in loads.items()}
        figures["reports_cpu_seconds"] = _cpu_seconds(workers["reports"].pid)
        for condition in ("quiet", *CONDITIONS):
            figures[condition] = _latencies(samples[condition])
        figures["monitor_views"] = _latency(viewers.samples)
        figures["monitor_refreshes"] = _monitor_refreshes(campaigns)
        figures["statements_made"] = loop.done
        figures["statements_errors"] = loop.errors


def _take_turns(base_url, cookie, measured, requests, loads) -> dict[str, dict[str, loadgen.Samples]]:
    """Per round and page, a turn of requests/ROUNDS requests in each of TURNS (quiet twice as many)."""
    samples = {
        condition: {label: loadgen.Samples() for label in (*(page.label for page in measured), EVERY_PAGE)}
        for condition in ("quiet", *CONDITIONS)
    }
    for number in range(1, ROUNDS + 1):
        for page in measured:
            for condition in TURNS:
                load = loads.get(condition)
                if load:
                    load.on()
                try:
                    turn = loadgen.run(
                        base_url + page.path, cookie, requests=max(requests // ROUNDS, 1), htmx=page.htmx
                    )
                finally:
                    if load:
                        load.off()
                for label in (page.label, EVERY_PAGE):
                    samples[condition][label].seconds += turn.seconds
                    samples[condition][label].failed += turn.failed
        print(f"  round {number} of {ROUNDS}", flush=True)
    return samples


def _weigh_as_in_compose(process: subprocess.Popen, service: str) -> int:
    """The CPU weight docker-compose.yml gives the service (cpu_shares; 1024 when unset), given to a
    process the bench started (and the processes it forks).

    In Docker each service is a container, which the kernel schedules as a group of that weight against
    the web's container. Here each process the bench starts leads a session of its own, which the kernel
    also schedules as a group (autogroup), of the weight of the group's nice: nice n weighs about
    1024 / 1.25 ** n. Without autogroups the processes' own nice does the same."""
    import math

    import yaml

    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]
    shares = int(spec.get("cpu_shares", 1024))
    nice = min(max(round(math.log(1024 / shares, 1.25)), 0), 19)
    if nice:
        autogroups = Path("/proc/sys/kernel/sched_autogroup_enabled")
        if autogroups.exists() and autogroups.read_text().strip() == "1":
            Path(f"/proc/{process.pid}/autogroup").write_text(str(nice))
        else:
            os.setpriority(os.PRIO_PGRP, process.pid, nice)
    return shares


def _cpu_seconds(pid: int) -> float:
    """The CPU time of a process and its children so far (a worker's pool, also the processes it replaced)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for process in (pid, *children(pid)):
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(field) for field in fields[11:15])  # utime, stime, and of the children reaped
    return total / ticks


def _pool_at_idle_priority(pid: int) -> bool:
    """Whether every pool process of a Celery worker runs under SCHED_IDLE (config/celery.py)."""
    pool = children(pid)
    return bool(pool) and all(os.sched_getscheduler(child) == os.SCHED_IDLE for child in pool)


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
    """Per condition, each page's p95 over its quiet p95, and that of every page's requests together."""
    quiet = figures["quiet"]
    return {
        condition: {label: figures[condition][label]["p95_ms"] / quiet[label]["p95_ms"] for label in quiet}
        for condition in CONDITIONS
    }


def table(figures: dict[str, Any]) -> list[str]:
    def mark(ratio: float) -> str:
        return "PASS" if ratio <= TARGET_RATIO else "MISS"

    by = ratios(figures)
    lines = [
        f"| page | quiet p95 ms | (a) slow SPIKON p95 ms | (a) / quiet (target <= {TARGET_RATIO:g}) | "
        f"(b) PDF loop p95 ms | (b) / quiet (target <= {TARGET_RATIO:g}) | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label in (*figures["pages"], EVERY_PAGE):
        quiet, slow, pdf = (figures[condition][label] for condition in ("quiet", *CONDITIONS))
        a, b = (by[condition][label] for condition in CONDITIONS)
        failed = quiet["failed"] + slow["failed"] + pdf["failed"]
        name = f"**{label}**" if label == EVERY_PAGE else label
        lines.append(
            f"| {name} | {quiet['p95_ms']:.1f} | {slow['p95_ms']:.1f} | {a:.2f} {mark(a)} | "
            f"{pdf['p95_ms']:.1f} | {b:.2f} {mark(b)} | {failed} |"
        )
    views = figures["monitor_views"]
    made = figures["statements_made"]
    errors = figures["statements_errors"]
    seconds = figures["seconds"]
    per_turn = max(figures["requests"] // figures["rounds"], 1)
    lines += [
        "",
        f"{figures['rounds']} rounds; in each, every page had turns of {per_turn} requests over 4 connections: "
        f"quiet, (a), quiet, (b) ({figures['rounds'] * per_turn} requests per page in (a) and (b), twice as "
        f"many quiet). Outside its turns a condition's people wait and its worker is stopped (SIGSTOP). "
        f"(a), {seconds['slow_spikon']:.0f} s in all: the monitor pages answered in p95 "
        + (
            f"{views['p95_ms']:.0f} ms ({views['requests']} views, {views['failed']} failed)"
            if views
            else "-"
        )
        + f"; the monitors' snapshots marked failing (SPIKON slower than the refresh's {_monitor_timeout()}) "
        f"{figures['monitor_refreshes']['failing']} of {figures['monitor_refreshes']['snapshots']}. "
        f"(b), {seconds['statements']:.0f} s in all, the reports worker at a CPU weight of "
        f"{figures['reports_cpu_weight']} against the web's 1024 (docker-compose.yml's cpu_shares), its pool "
        f"{'at idle priority (SCHED_IDLE)' if figures.get('reports_pool_idle') else 'at normal priority'}, "
        f"which used {figures['reports_cpu_seconds']:.0f} s of CPU: {len(made)} statements made"
        + (
            f" ({min(r['calls'] for r in made):,}-{max(r['calls'] for r in made):,} calls, ready after {min(r['ready_seconds'] for r in made):.0f}-"
            f"{max(r['ready_seconds'] for r in made):.0f} s of (b))"
            if made
            else ""
        )
        + (f"; {len(errors)} errors, the first: {'; '.join(errors[:3])}" if errors else "")
        + ".",
    ]
    return lines


def _monitor_timeout() -> str:
    from spikon.sync import MONITOR_TIMEOUT

    return f"{MONITOR_TIMEOUT[0]:.0f} s connect + {MONITOR_TIMEOUT[1]:.0f} s read timeout"
