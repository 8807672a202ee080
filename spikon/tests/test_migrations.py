"""The beat schedule names tasks that exist; the migration of issue 12 removes beat's rows of renamed tasks
and turns the form keys kept in rows into action records, so that no past confirmation acts again."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery import app
from providers.once import ActionRecord
from spikon.schedules import BEAT_SCHEDULE

BEFORE = ("spikon", "0002_account_address_blank_is_official")
AFTER = ("spikon", "0003_monitor_snapshot_action_records_and_beat_entries")
MIGRATION = f"spikon.migrations.{AFTER[1]}"


@pytest.mark.django_db
def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    assert BEAT_SCHEDULE and all(entry["task"] in app.tasks for entry in BEAT_SCHEDULE.values())


@pytest.mark.django_db
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


@pytest.mark.django_db(transaction=True)
def test_the_form_keys_kept_in_rows_become_action_records(tenant):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps
        batch = old.get_model("spikon", "SmsBatch").objects.create(
            tenant_id=tenant.pk, form_key="s" * 32, sender="SMS", text="Hej"
        )
        call = old.get_model("spikon", "ClickToCall").objects.create(
            tenant_id=tenant.pk,
            form_key="c" * 32,
            phone_account_id=1,
            phone_account_label="101",
            destination="601234567",
            status="unknown",
        )
        announcement = old.get_model("spikon", "TtsAnnouncement").objects.create(
            tenant_id=tenant.pk, form_key="t" * 32, name="Powitanie", state="stored"
        )
        old.get_model("spikon", "TtsAnnouncement").objects.create(tenant_id=tenant.pk, name="Z listy")
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
    finally:
        # Back to the latest schema, which the tests after this one need.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    records = {record.key: record for record in ActionRecord.objects.filter(tenant=tenant)}
    assert set(records) == {"s" * 32, "c" * 32, "t" * 32}
    assert (records["s" * 32].kind, records["s" * 32].outcome) == ("spikon.sms.send", {"batch": batch.pk})
    assert (records["c" * 32].state, records["c" * 32].outcome) == ("unknown", {"call": call.pk})
    assert records["t" * 32].outcome == {"announcement": announcement.pk}
