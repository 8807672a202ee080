"""Run the benchmarks and print their tables (see bench/__init__.py).

.venv/bin/python -m bench [--requests 400] [--only pages,ingest,exports,fanout,contention] [--pages LABEL]
                         [--before bench/results/<earlier run>.json]   # adds a before/after table
.venv/bin/python -m bench --profile /t/bench/premium/billing/   # where one page spends its time
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.environment import DATABASE_URL, RESULTS_DIR, setup_django

PARTS = ("pages", "ingest", "exports", "fanout", "contention")


def _title(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def _profile(path: str) -> None:
    """A pyinstrument profile of one page, requested in this process as the bench's operator."""
    from django.test import Client
    from pyinstrument import Profiler

    from bench import data, pages

    _tenant, user = data.ensure_data()
    pages.collect_static()
    client = Client(HTTP_HOST="127.0.0.1")
    name, _, value = pages.session_cookie(user).partition("=")
    client.cookies[name] = value
    for _ in range(3):
        client.get(path)
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(5):
            response = client.get(path)
    print(f"{path}: {response.status_code}, 5 requests")
    print(profiler.output_text(color=False, unicode=False))


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Benchmarks at ten million calls; prints a table per figure."
    )
    parser.add_argument("--requests", type=int, default=400, help="requests per page (default 400)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"some of {','.join(PARTS)}")
    parser.add_argument("--pages", default="", help="measure only the pages whose label contains this")
    parser.add_argument("--profile", metavar="PATH", help="profile one page instead of benchmarking")
    parser.add_argument(
        "--before", metavar="JSON", help="an earlier run's results: print the targets before/after"
    )
    parser.add_argument(
        "--contention-requests", type=int, default=160, help="requests per page and condition (default 160)"
    )
    options = parser.parse_args()
    parts = [part.strip() for part in options.only.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")

    # Ctrl-C (also when started in the background, where it is ignored by default) and SIGTERM end the
    # run through the finally blocks that stop every server and worker it started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    setup_django()
    from bench import contention, data, exports, fanout, ingest, pages

    if options.profile:
        _profile(options.profile)
        return 0

    started = time.monotonic()
    _title(f"Data set in {DATABASE_URL} (made once, then reused)")
    data.ensure_database()
    tenant, user = data.ensure_data()
    sections: dict[str, list[str]] = {}
    figures: dict[str, Any] = {}
    if "pages" in parts:
        _title(f"1-2. Page latency and queries ({options.requests} requests per page, 4 connections)")
        figures["pages"] = pages.measure(tenant, user, requests=options.requests, only=options.pages)
        sections["1-2. Pages: latency under load and queries per request"] = _shown(
            pages.table(figures["pages"])
        )
    if "ingest" in parts or "exports" in parts:
        _title("3. Sync ingest of one month of 100,000 billing calls")
        figures["ingest"] = ingest.measure()
        sections["3. Sync ingest"] = _shown(ingest.table(figures["ingest"]))
    if "exports" in parts:
        _title("4. Exports: CSV and PDF")
        pages.collect_static()
        figures["exports"] = exports.measure(tenant, pages.session_cookie(user), figures["ingest"])
        sections["4. Exports"] = _shown(exports.table(figures["exports"]))
    if "fanout" in parts:
        _title("5. Fan-out: 200 tenants, 4 worker processes, 100 ms provider latency")
        figures["fanout"] = fanout.measure()
        sections["5. Fan-out"] = _shown(fanout.table(figures["fanout"]))
    if "contention" in parts:
        _title("6. Contention: the local-copy pages with a slow SPIKON and with PDF statements in the making")
        figures["contention"] = contention.measure(tenant, user, requests=options.contention_requests)
        sections["6. Contention"] = _shown(contention.table(figures["contention"]))
    figures["targets"] = targets(figures)
    sections["Targets"] = target_table(figures["targets"], _earlier(options.before))

    minutes = (time.monotonic() - started) / 60
    when = datetime.now(UTC)
    report = [
        f"# Benchmarks, {when:%Y-%m-%d %H:%M} UTC",
        "",
        f"{platform.node()}: {_cpus()} CPUs, Python {platform.python_version()}, PostgreSQL at "
        f"{DATABASE_URL.rsplit('@', 1)[-1]}; took {minutes:.1f} min.",
    ]
    for title, lines in sections.items():
        report += ["", f"## {title}", "", *lines]
    text = "\n".join(report) + "\n"
    print("\n" + text)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = RESULTS_DIR / f"{when:%Y%m%d-%H%M%S}"
    stem.with_suffix(".md").write_text(text)
    stem.with_suffix(".json").write_text(json.dumps(figures, default=_plain, indent=1))
    print(f"Saved to {stem.with_suffix('.md').relative_to(RESULTS_DIR.parent.parent)} (and .json)")
    return 0


def _shown(lines: list[str]) -> list[str]:
    """A figure's table, printed as soon as it is measured (a later part that fails loses nothing)."""
    print("\n".join(lines), flush=True)
    return lines


def targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure with a target: (figure, value, target text, met)."""
    from bench import contention, exports, fanout, ingest, pages

    rows = []

    def add(figure: str, value: float, target: str, met: bool, unit: str = "x", before: str = "") -> None:
        rows.append(
            {
                "figure": figure,
                "value": round(value, 2),
                "unit": unit,
                "target": target,
                "met": met,
                "before": before,
            }
        )

    if "pages" in figures:
        for result in figures["pages"]["results"]:
            add(
                f"page p95 / floor: {result.page.label}",
                result.ratio,
                f"<= {pages.TARGET_RATIO:g}",
                result.ratio <= pages.TARGET_RATIO,
            )
    if "ingest" in figures:
        ratio = figures["ingest"]["import"]["seconds"] / figures["ingest"]["floor"]["seconds"]
        add(
            "ingest of a 100,000-call month / parse + COPY",
            ratio,
            f"<= {ingest.TARGET_RATIO:g}",
            ratio <= ingest.TARGET_RATIO,
        )
    if "exports" in figures:
        month, every = figures["exports"]["csv_month"], figures["exports"]["csv_all"]
        target = f"< {exports.TTFB_TARGET_SECONDS:g}"
        add(
            "CSV of a month through gunicorn: first byte",
            month["first_byte_seconds"],
            target,
            month["first_byte_seconds"] < exports.TTFB_TARGET_SECONDS,
            "s",
        )
        cursor = figures["exports"]["csv_all_server_side_cursor"]["first_line_seconds"]
        add(
            f"CSV of all {every['calls']:,} calls: first line",
            every["first_line_seconds"],
            target,
            every["first_line_seconds"] < exports.TTFB_TARGET_SECONDS,
            "s",
            f"{cursor:.2f} (server-side cursor)" if cursor is not None else "> 120 (server-side cursor)",
        )
        growth = every["peak_mb"] - every["mark_mb"]
        add(
            f"CSV of all {every['calls']:,} calls: memory growth after {exports.MEMORY_MARK_LINES:,} lines",
            growth,
            f"<= {exports.CONSTANT_MEMORY_SLACK_MB}",
            growth <= exports.CONSTANT_MEMORY_SLACK_MB,
            "MB",
        )
    if "fanout" in figures:
        ratio = figures["fanout"]["wall_seconds"] / figures["fanout"]["ideal_seconds"]
        add("fan-out wall / ideal", ratio, f"<= {fanout.TARGET_RATIO:g}", ratio <= fanout.TARGET_RATIO)
    if "contention" in figures:
        for condition, by_page in contention.ratios(figures["contention"]).items():
            for label, ratio in by_page.items():
                add(
                    f"{contention.NAMES[condition]}: {label} p95 / quiet",
                    ratio,
                    f"<= {contention.TARGET_RATIO:g}",
                    ratio <= contention.TARGET_RATIO,
                )
    return rows


def _earlier(path: str | None) -> dict[str, dict[str, Any]]:
    if not path:
        return {}
    return {row["figure"]: row for row in json.loads(open(path).read()).get("targets", [])}


def target_table(rows: list[dict[str, Any]], before: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| figure | before | after | target | |", "| --- | ---: | ---: | --- | --- |"]
    for row in rows:
        earlier = before.get(row["figure"])
        was = (
            f"{earlier['value']:g} {'PASS' if earlier['met'] else 'MISS'}"
            if earlier
            else row.get("before", "")
        )
        lines.append(
            f"| {row['figure']} | {was} | {row['value']:g} | {row['target']} {row['unit']} | "
            f"{'PASS' if row['met'] else 'MISS'} |"
        )
    met = sum(row["met"] for row in rows)
    lines += ["", f"{met} of {len(rows)} targets met."]
    return lines


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _plain(value: object) -> object:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value):
        return asdict(value)
    return str(value)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nStopped (with every server, sandbox and worker it had started).", flush=True)
        sys.exit(130)
