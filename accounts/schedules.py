"""Periodic tasks of the accounts app (plain data: imported by the settings)."""

BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "accounts.tasks.record_worker_heartbeat", "schedule": 60.0},
    "housekeeping": {"task": "accounts.tasks.housekeeping", "schedule": 24 * 60 * 60.0},
}
