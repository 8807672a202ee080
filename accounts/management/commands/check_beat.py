"""Beat's health check: fails when beat has not ticked for BEAT_HEARTBEAT_MAX_AGE."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Exit 0 if Celery beat ticked lately (it touches BEAT_HEARTBEAT_FILE), 1 if not."
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        path = settings.BEAT_HEARTBEAT_FILE
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            raise CommandError(f"Beat has not ticked yet: {path} does not exist.") from None
        limit = settings.BEAT_HEARTBEAT_MAX_AGE.total_seconds()
        if age > limit:
            raise CommandError(f"Beat last ticked {age:.0f} s ago (the limit is {limit:.0f} s).")
        self.stdout.write(f"Beat ticked {age:.0f} s ago.")
