"""Switches made at the provider (the sandbox over HTTP): once per switch, read back, failures shown;
after a worker outage only the switch in force is made, once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from premium.models import PremiumNumber
from providers.once import ActionRecord
from redirect_schedules import services, tasks
from redirect_schedules.models import RedirectSchedule, Switch, Window
from redirect_schedules.tests.conftest import HOLIDAY, MOBILE, OFFICE
from snapshots.models import Snapshot
from tests.waiting import wait_for

WARSAW = ZoneInfo("Europe/Warsaw")
SET_REDIRECT = "/api/prm/voice/setRedirect/"
SHOW_NUMBERS = "/api/prm/voice/showNumbers"


def redirects_sent(sandbox, numbers) -> int:
    return sum(sandbox.request_count(SET_REDIRECT + number.number) for number in numbers)


def at_provider(sandbox, numbers) -> list[str]:
    return [sandbox.number(number.number).appdata for number in numbers]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 4, 6, 10, 0, tzinfo=WARSAW), HOLIDAY),  # Easter Monday
        (datetime(2025, 12, 24, 9, 30, tzinfo=WARSAW), HOLIDAY),  # Christmas Eve, a holiday from 2025
        (datetime(2026, 4, 7, 8, 0, 30, tzinfo=WARSAW), OFFICE),  # the first minute of Tuesday's window
        (datetime(2026, 4, 7, 16, 0, 30, tzinfo=WARSAW), MOBILE),  # the first minute after it
    ],
)
def test_the_switch_in_force_is_set_once_and_read_back(
    moment, expected, schedule, scheduled_numbers, sandbox
):
    with time_machine.travel(moment, tick=True):
        switch = services.make_switch_in_force(schedule.pk)
        assert switch is not None
        assert at_provider(sandbox, scheduled_numbers) == [f"number={expected}"] * 2
        switch.refresh_from_db()
        assert switch.state == Switch.State.VERIFIED
        assert [r["state"] for r in switch.results] == [Switch.NumberState.VERIFIED] * 2
        assert switch.snapshot.reason == Snapshot.Reason.SCHEDULE_SWITCH
        sent = redirects_sent(sandbox, scheduled_numbers)
        assert sent == 2

        # The same switch again (a second beat, a redelivered task): nothing is sent.
        assert services.make_switch_in_force(schedule.pk) is None
        assert tasks.queue_due_switches() == 0
        assert redirects_sent(sandbox, scheduled_numbers) == 2
        assert Switch.objects.count() == 1
    assert (
        ActionRecord.objects.filter(kind="redirect_schedules.switch", state=ActionRecord.State.DONE).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(action="premium.redirect.set", outcome=AuditEvent.Outcome.SUCCESS).count()
        == 2
    )


def test_a_read_back_failure_fails_the_switch_on_the_page_and_in_the_audit_log(
    schedule, scheduled_numbers, sandbox, login, viewer, owner
):
    sandbox.set_fault(SHOW_NUMBERS, "500")
    with time_machine.travel(datetime(2026, 4, 7, 9, 0, tzinfo=WARSAW), tick=True):
        switch = services.make_switch_in_force(schedule.pk)
    switch.refresh_from_db()
    assert switch.state == Switch.State.FAILED
    assert {r["state"] for r in switch.results} == {Switch.NumberState.NOT_READ}
    failure = AuditEvent.objects.get(action="redirect_schedules.switch")
    assert failure.outcome == AuditEvent.Outcome.FAILURE
    assert scheduled_numbers[0].number in failure.message

    url = reverse(
        "redirect_schedules:detail", kwargs={"tenant_slug": schedule.tenant.slug, "schedule_id": schedule.pk}
    )
    page = login(viewer).get(url).content.decode()
    assert "nie powiodło się" in page
    assert "ustawiono, ale nie udało się odczytać" in page
    # The audit log says it in its reader's language, not in the switch's state codes.
    log = reverse("audit-log", kwargs={"tenant_slug": schedule.tenant.slug})
    polish = login(owner).get(log).content.decode()
    assert "not_read" not in polish and f"{scheduled_numbers[0].number}: ustawiono, ale nie" in polish


def test_a_paused_schedule_makes_no_switch(schedule, scheduled_numbers, sandbox):
    schedule.paused_at = timezone.now()
    schedule.save()
    assert services.make_switch_in_force(schedule.pk) is None
    assert tasks.queue_due_switches() == 0
    assert redirects_sent(sandbox, scheduled_numbers) == 0


def _zone_around_midday() -> str:
    """A time zone where it is between 04:00 and 21:59 now, so that the test's windows fit in today."""
    for zone in ("Europe/Warsaw", "Asia/Tokyo"):
        if 4 <= timezone.now().astimezone(ZoneInfo(zone)).hour <= 21:
            return zone
    raise AssertionError("one of the two zones is always in its day")


def test_after_a_worker_outage_only_the_switch_in_force_is_made_and_once(
    real_worker, tenant, premium_account, sandbox
):
    tenant.time_zone = _zone_around_midday()
    tenant.save()
    numbers = list(PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:2])
    hour = timezone.now().astimezone(ZoneInfo(tenant.time_zone)).hour
    real_worker()  # the workers are down while two switches fall due
    schedule = RedirectSchedule.objects.create(tenant=tenant, name="Zmiany", target=MOBILE)
    schedule.numbers.set(numbers)
    every_day = list(range(7))
    Window.objects.create(
        schedule=schedule, days=every_day, starts=clock(hour - 3), ends=clock(hour - 2), target=HOLIDAY
    )
    Window.objects.create(
        schedule=schedule, days=every_day, starts=clock(hour - 1), ends=clock(hour + 2), target=OFFICE
    )

    real_worker.start_again()
    for _ in range(3):  # beat's next ticks after the recovery
        tasks.queue_due_switches.delay()
    made = Switch.objects.filter(schedule=schedule, state=Switch.State.VERIFIED)
    assert wait_for(made.exists), real_worker.log_path.read_text()[-3000:]
    time.sleep(2)  # the other ticks' tasks have run too
    assert at_provider(sandbox, numbers) == [f"number={OFFICE}"] * 2
    assert redirects_sent(sandbox, numbers) == 2  # the stale switch to HOLIDAY never reached the provider
    assert Switch.objects.filter(schedule=schedule).count() == 1


def test_a_switch_whose_worker_died_is_shown_as_interrupted_and_never_made_again(
    schedule, scheduled_numbers, sandbox, login, viewer
):
    key, due_at, setting = services.switch_due(schedule)
    ActionRecord.objects.create(tenant=schedule.tenant, key=key, kind="redirect_schedules.switch")
    Switch.objects.create(
        tenant=schedule.tenant,
        schedule=schedule,
        due_at=due_at,
        reason=setting.reason,
        target=setting.target,
        presentation=setting.presentation,
        announcement=setting.announcement,
        made_at=timezone.now() - Switch.INTERRUPTED_AFTER - timedelta(seconds=1),
    )
    assert services.make_switch_in_force(schedule.pk) is None
    assert redirects_sent(sandbox, scheduled_numbers) == 0
    url = reverse(
        "redirect_schedules:detail", kwargs={"tenant_slug": schedule.tenant.slug, "schedule_id": schedule.pk}
    )
    assert "przerwane: wynik nieznany" in login(viewer).get(url).content.decode()


def test_running_again_after_a_pause_or_adding_a_number_makes_the_switch_in_force_anew(
    tenant, operator, login, schedule, scheduled_numbers, sandbox
):
    with time_machine.travel(datetime(2026, 4, 7, 9, 0, tzinfo=WARSAW), tick=True):
        services.make_switch_in_force(schedule.pk)
        assert redirects_sent(sandbox, scheduled_numbers) == 2
        client = login(operator)
        client.post(
            reverse(
                "redirect_schedules:pause", kwargs={"tenant_slug": tenant.slug, "schedule_id": schedule.pk}
            )
        )
        client.post(
            reverse(
                "redirect_schedules:resume", kwargs={"tenant_slug": tenant.slug, "schedule_id": schedule.pk}
            )
        )
        assert services.make_switch_in_force(schedule.pk) is not None
        assert redirects_sent(sandbox, scheduled_numbers) == 4

        third = (
            PremiumNumber.objects.filter(tenant=tenant)
            .exclude(pk__in=[n.pk for n in scheduled_numbers])
            .first()
        )
        schedule.numbers.add(third)
        assert services.make_switch_in_force(schedule.pk) is not None
        assert at_provider(sandbox, [third]) == [f"number={OFFICE}"]
        assert services.make_switch_in_force(schedule.pk) is None


def test_a_number_the_provider_did_not_set_is_read_back_with_its_old_target(
    schedule, scheduled_numbers, sandbox
):
    first, second = scheduled_numbers
    old = sandbox.number(first.number).appdata.removeprefix("number=")
    sandbox.set_fault(SET_REDIRECT + first.number, "500", times=1)
    with time_machine.travel(datetime(2026, 4, 7, 9, 0, tzinfo=WARSAW), tick=True):
        switch = services.make_switch_in_force(schedule.pk)
    switch.refresh_from_db()
    assert switch.state == Switch.State.FAILED
    assert switch.results == [
        {"number": first.number, "state": Switch.NumberState.DIFFERENT, "problem": old},
        {"number": second.number, "state": Switch.NumberState.VERIFIED, "problem": ""},
    ]
    assert at_provider(sandbox, [second]) == [f"number={OFFICE}"]
