"""The Celery application: tasks are autodiscovered in each app's tasks.py and routed here by kind of work."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from config.env import log_when_email_is_off

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# One queue per kind of work, each with workers of its own (docker-compose.yml), so that a follow-up of
# what an operator just did never waits behind the hourly billing fan-out or a statement rendering for minutes.
INTERACTIVE = "interactive"
SYNC = "sync"
REPORTS = "reports"
QUEUES = (INTERACTIVE, SYNC, REPORTS)

# Task name -> queue: exact names first, then the patterns in this order. Every task must match one on
# purpose (tests/test_operations.py), so a new task cannot be forgotten; the default queue only catches a
# task added without a route. Patterns, not names, so that renaming a task keeps its queue.
TASK_ROUTES = {
    # What an operator just did or is watching: delivery checks, announcement follow-ups, monitor snapshots.
    "accounts.tasks.record_worker_heartbeat": {"queue": INTERACTIVE},
    "*.tasks.poll_sms_*": {"queue": INTERACTIVE},
    "*.tasks.poll_announcement*": {"queue": INTERACTIVE},
    "*.tasks.*monitor*": {"queue": INTERACTIVE},
    "*.tasks.deliver_*": {"queue": INTERACTIVE},
    # A redirect switch is due at its minute; a rollback is followed by the operator who confirmed it.
    "redirect_schedules.tasks.make_switch": {"queue": INTERACTIVE},
    "snapshots.tasks.run_rollback": {"queue": INTERACTIVE},
    # Heavy or long: statements, imports, exports, digests, the providers' call history reports.
    "*.tasks.render_*": {"queue": REPORTS},
    "*.tasks.delete_old_*": {"queue": REPORTS},
    "*.tasks.*import*": {"queue": REPORTS},
    "*.tasks.*export*": {"queue": REPORTS},
    "*.tasks.*digest*": {"queue": REPORTS},
    "*.tasks.*call_history*": {"queue": REPORTS},
    "snapshots.tasks.take_daily_snapshots": {"queue": REPORTS},
    "accounts.tasks.housekeeping": {"queue": REPORTS},
    # The copies of the providers' data, their fan-outs, and the sweepers that recover lost messages.
    "*.tasks.sync_*": {"queue": SYNC},
    "*.tasks.queue_*": {"queue": SYNC},
    "*.tasks.sweep_*": {"queue": SYNC},
    "*.tasks.evaluate_*": {"queue": SYNC},
    # Local totals counted again after a change made here (a number bought or deleted): seconds of the database.
    "*.tasks.reprice_*": {"queue": SYNC},
}
DEFAULT_QUEUE = SYNC


def broker_transport_options(redis: bool, data_dir: Path, namespace: str = "") -> dict[str, object]:
    """The broker's options; a namespace keeps the messages of a test run or the bench apart.

    With a namespace, the same queue names (and the same worker command) never meet a running worker's
    messages on the same broker: Redis keys get a prefix, the filesystem broker a folder of its own.
    """
    if redis:
        options: dict[str, object] = {"visibility_timeout": 3600}
        if namespace:
            options["global_keyprefix"] = f"{namespace}:"
        return options
    folder = data_dir / "broker" / namespace
    (folder / "control").mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


# DjangoTask adds delay_on_commit(): tasks are queued only once the transaction that made their row commits.
app = Celery("config", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = (TASK_ROUTES,)
app.conf.task_default_queue = DEFAULT_QUEUE
app.autodiscover_tasks()


@worker_ready.connect
def _say_when_email_is_off(**kwargs) -> None:
    log_when_email_is_off()


@worker_ready.connect
def _send_a_heartbeat_on_start(**kwargs) -> None:
    """Readiness (/healthz/ready) needs a recent heartbeat, and beat sends its first a minute after start:
    a starting worker queues one itself, through the heartbeat's own queue, so a deploy is ready at once."""
    from accounts.tasks import record_worker_heartbeat

    record_worker_heartbeat.delay()


@worker_process_init.connect
def _run_reports_at_idle_priority(**kwargs) -> None:
    """The pool of a worker consuming only `reports` (statements, imports) runs under SCHED_IDLE: the kernel
    hands the CPU to any other process that wants it at once. The container's low cpu_shares alone gives
    the web tier the larger share, not the CPU the moment a request needs it (measured in bench/: README,
    Benchmarks). A worker of every queue (./scripts/start) keeps the normal priority for its interactive
    tasks, and the main process for its health check. Lowering one's own priority needs no privilege."""
    if set(app.amqp.queues.consume_from) == {REPORTS}:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
