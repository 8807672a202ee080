"""Benchmarks at the scale of a large operator, measured as ratios to a floor in one run.

`bench/run` (see the README's "Benchmarks") makes the data set once in a PostgreSQL database of its own
(bench.data, bench.spikon_data) and prints one table per figure:

1-2. bench.pages: each page's p50/p95 under load (gunicorn as in the Docker image, 4 connections), its
     p95 over the floor's (a member's notification settings, the lightest page), and its queries per request.
3.   bench.ingest: a month of 100,000 billing calls synced over HTTP, against parsing the same JSON and
     COPYing the same rows; the re-sync of unchanged data; the worker's peak memory.
4.   bench.exports: the CSV (time to first byte, total, memory) and the PDF statement.
5.   bench.fanout: 200 tenants synced by 4 Celery processes against a sandbox 100 ms away.

Every server, sandbox and worker it starts listens on 127.0.0.1 and is stopped by its PID at the end,
also on errors and Ctrl-C (bench.environment.running). Results are also saved in bench/results/.
"""
