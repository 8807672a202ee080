"""Queuing a task from a request once the transaction commits, without ever failing the request."""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def queue_after_commit(task, *args, **options) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one). `task` is a
    Celery task or a task's registered name.

    The row is the truth and the task only a nudge: when the broker is down, the error is logged (by the
    task's name only) and swallowed, and the sweeper or the next schedule queues the work later. The page
    still tells the provider's outcome.
    """
    name = task if isinstance(task, str) else task.name

    def send() -> None:
        try:
            if isinstance(task, str):
                from config.celery import app  # imported late: the Celery app imports the settings

                app.send_task(task, args=list(args), **options)
            else:
                task.apply_async(args=list(args), **options)
        except Exception as error:  # any broker or connection error: kombu raises several kinds
            logger.warning("could not queue %s (%s); left to the sweeper", name, type(error).__name__)

    transaction.on_commit(send)
