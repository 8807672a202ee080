"""Periodic tasks of this app (plain data: imported by the settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    "sms-sync-subaccounts": {"task": "sms.tasks.queue_subaccount_syncs", "schedule": 15 * 60.0},
}
