"""Periodic tasks of this app (plain data: imported by the settings)."""

BEAT_SCHEDULE: dict[str, dict] = {}
