"""Periodic tasks of this app (plain data: imported by the settings).

Each entry but the last is a fan-out that queues one sync per configured account (premium.tasks).
"""

BEAT_SCHEDULE: dict[str, dict] = {
    "premium-numbers-and-balance": {
        "task": "premium.tasks.queue_scheduled_syncs",
        "schedule": 15 * 60.0,
        "args": [["numbers", "balance"]],
    },
    "premium-billing-current-month": {
        "task": "premium.tasks.queue_billing_syncs",
        "schedule": 60 * 60.0,
    },
    "premium-wallet-and-invoices": {
        "task": "premium.tasks.queue_scheduled_syncs",
        "schedule": 24 * 60 * 60.0,
        "args": [["wallet", "invoices"]],
    },
    "premium-delete-old-statements": {
        "task": "premium.tasks.delete_old_statements",
        "schedule": 24 * 60 * 60.0,
    },
}
