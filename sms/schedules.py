"""Periodic tasks of this app (plain data: imported by the settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    "sms-sync-subaccounts": {"task": "sms.tasks.queue_subaccount_syncs", "schedule": 15 * 60.0},
    "sms-sync-account": {"task": "sms.tasks.queue_account_syncs", "schedule": 10 * 60.0},
}
