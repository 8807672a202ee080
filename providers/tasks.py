"""The one sweeper of every provider app's background jobs."""

from __future__ import annotations

from celery import shared_task
from django.utils.module_loading import import_string

from providers.jobs import registered_jobs


@shared_task
def sweep_jobs() -> int:
    """Every minute: for each registered kind of job, settle what a dead request left behind, then queue
    again the jobs whose turn has passed unnoticed (lost message, restarted worker, flushed Redis) or whose
    worker died mid-way. Returns how many jobs were nudged."""
    nudged = 0
    for kind in registered_jobs():
        if kind.settle:
            import_string(kind.settle)()
        task = import_string(kind.task)
        for job_id in kind.model.overdue().values_list("pk", flat=True)[: kind.batch]:
            task.delay(job_id)
            nudged += 1
    return nudged
