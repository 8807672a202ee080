"""Periodic tasks of this app (plain data: imported by the settings)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "alerts-evaluate": {"task": "alerts.tasks.queue_alert_evaluations", "schedule": 5 * 60.0},
    "alerts-weekly-digest": {
        "task": "alerts.tasks.send_weekly_digests",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
}
