"""Celery beat's scheduler: django-celery-beat's, plus a heartbeat file that beat's health check reads."""

from __future__ import annotations

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler


class Scheduler(DatabaseScheduler):
    """Touches BEAT_HEARTBEAT_FILE on every tick (at least every 5 seconds), so a stuck beat shows."""

    def __init__(self, *args, **kwargs):
        settings.BEAT_HEARTBEAT_FILE.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        settings.BEAT_HEARTBEAT_FILE.touch()
        return super().tick(*args, **kwargs)
