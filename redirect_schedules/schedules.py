"""Periodic tasks of the redirect schedules (plain data: imported by the settings).

At the start of every minute, so that a switch is made in the minute it is due.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "redirect-schedules-switches": {
        "task": "redirect_schedules.tasks.queue_due_switches",
        "schedule": crontab(),
    },
}
