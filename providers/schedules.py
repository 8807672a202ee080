"""Periodic tasks of the shared provider core (plain data: imported by the settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    "providers-sweep-jobs": {"task": "providers.tasks.sweep_jobs", "schedule": 60.0},
}
