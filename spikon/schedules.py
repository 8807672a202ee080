"""Periodic tasks of this app (plain data: imported by the settings). The jobs' sweeper is the providers
app's (providers.schedules)."""

BEAT_SCHEDULE: dict[str, dict] = {
    "spikon-sync-account-and-phonebooks": {
        "task": "spikon.tasks.queue_scheduled_syncs",
        "schedule": 15 * 60.0,
        "args": (["account", "phonebooks"],),
    },
    "spikon-sync-call-center-and-announcements": {
        "task": "spikon.tasks.queue_scheduled_syncs",
        "schedule": 15 * 60.0,
        "args": (["callcenter", "announcements"],),
    },
    "spikon-sync-voices": {
        "task": "spikon.tasks.queue_scheduled_syncs",
        "schedule": 24 * 3600.0,
        "args": (["voices"],),
    },
}
