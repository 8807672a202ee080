"""Celery tasks of the redirect schedules: beat looks every minute for switches due, one task per schedule."""

from __future__ import annotations

from celery import shared_task

from providers.once import ActionRecord
from redirect_schedules import services


@shared_task
def queue_due_switches() -> int:
    """Every minute: queue a switch for each active schedule whose switch in force was not made yet.

    The task decides again what holds when it runs, so a late message never makes a stale switch.
    """
    queued = 0
    for schedule in (
        services.due_schedules()
        .select_related("tenant")
        .prefetch_related("windows", "closed_days", "numbers")
    ):
        key, _due, _setting = services.switch_due(schedule)
        if not ActionRecord.objects.filter(tenant=schedule.tenant, key=key).exists():
            make_switch.delay(schedule.pk)
            queued += 1
    return queued


@shared_task
def make_switch(schedule_id: int) -> None:
    services.make_switch_in_force(schedule_id)
