"""gunicorn settings, shared by the Docker image and the benchmarks."""

import os


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, str(default)).strip()
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}.")
    return int(value)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: under load their p95 latency was 60% of that of 2-thread workers (bench/, measured).
workers = _whole_number("GUNICORN_WORKERS", 2)
threads = _whole_number("GUNICORN_THREADS", 1)
# A sync worker still answering one request after this is restarted, mid-stream too. The billing CSV
# streams ~17,000 calls a second (~5,500 on 2 busy cores; bench/): one of more than
# BILLING_CSV_STREAM_MAX_CALLS (500,000) is made by the reports worker instead (config/settings.py).
timeout = _whole_number("GUNICORN_TIMEOUT", 120)
# Request lines only; bodies (which may carry credentials) are never logged. Behind the TLS proxy the
# first address is the proxy's; the X-Forwarded-For chain after it names the client.
accesslog = "-"
access_log_format = '%(h)s [%({x-forwarded-for}i)s] "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker) -> None:
    """Once the app is loaded (its URLs and views imported too), its objects are moved out of the
    garbage collector's sight: a full collection then walks only what requests made, not the whole app,
    which shortened the heavy pages' slowest requests (bench/)."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 -- imports every view before the freeze
    gc.freeze()
