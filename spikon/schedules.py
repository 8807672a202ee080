"""Periodic tasks of this app (plain data: imported by the settings)."""

BEAT_SCHEDULE: dict[str, dict] = {
    # Part 1
    "spikon-sync-account-and-phonebooks": {"task": "spikon.tasks.queue_part1_syncs", "schedule": 15 * 60.0},
    # Part 2: the fan-out of the call center and announcement syncs, the voices once a day.
    "spikon-sync-call-center-and-announcements": {
        "task": "spikon.tasks.queue_part2_syncs",
        "schedule": 15 * 60.0,
        "args": (["callcenter", "announcements"],),
    },
    "spikon-sync-voices": {
        "task": "spikon.tasks.queue_part2_syncs",
        "schedule": 24 * 3600.0,
        "args": (["voices"],),
    },
}
