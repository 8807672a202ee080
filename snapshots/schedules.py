"""Periodic tasks of the snapshots (plain data: imported by the settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    "snapshots-daily": {"task": "snapshots.tasks.take_daily_snapshots", "schedule": 24 * 60 * 60.0},
}
