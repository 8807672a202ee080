"""The beat schedule names tasks that exist, and the rows of renamed tasks leave beat's database."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery import app
from spikon.schedules import BEAT_SCHEDULE

pytestmark = pytest.mark.django_db

MIGRATION = "spikon.migrations.0003_monitor_watched_and_stale_beat_entries"


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    assert BEAT_SCHEDULE and all(entry["task"] in app.tasks for entry in BEAT_SCHEDULE.values())


def test_the_beat_rows_of_renamed_tasks_are_removed_by_a_migration():
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    for name, task in (
        ("spikon-sweep-part1-jobs", "spikon.tasks.sweep_part1_jobs"),
        ("spikon-sweep-part2-jobs", "spikon.tasks.sweep_part2_jobs"),
        ("spikon-sync-account-and-phonebooks", "spikon.tasks.queue_part1_syncs"),
        ("spikon-sync-voices", "spikon.tasks.queue_part2_syncs"),
        ("spikon-sync-call-center-and-announcements", "spikon.tasks.queue_scheduled_syncs"),
    ):
        PeriodicTask.objects.create(name=name, task=task, interval=every_minute)

    importlib.import_module(MIGRATION).remove_stale_beat_entries(apps, None)

    assert list(PeriodicTask.objects.values_list("name", flat=True)) == [
        "spikon-sync-call-center-and-announcements"
    ]
