"""When the schedule switches: a window's edges, both daylight-saving changes in Europe/Warsaw, Easter
Monday and 24 December (a public holiday from 2025), closed days, and the switch in force."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from redirect_schedules.models import ClosedDay, RedirectSchedule, Switch, Window
from redirect_schedules.tests.conftest import HOLIDAY, MOBILE, OFFICE
from redirect_schedules.timetable import Timetable, holiday_name

WARSAW = ZoneInfo("Europe/Warsaw")
EVERY_DAY = list(range(7))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def warsaw(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


@pytest.fixture
def plain_schedule(tenant) -> RedirectSchedule:
    """Weekdays 8–16 to the office, otherwise and on holidays to the mobile (no numbers needed here)."""
    schedule = RedirectSchedule.objects.create(
        tenant=tenant, name="Biuro", target=MOBILE, holiday_target=HOLIDAY
    )
    Window.objects.create(
        schedule=schedule, days=[0, 1, 2, 3, 4], starts=time(8), ends=time(16), target=OFFICE
    )
    return schedule


def targets(switches) -> list[tuple[datetime, str]]:
    return [(at, setting.target) for at, setting in switches]


def test_a_window_holds_from_its_first_minute_to_before_its_end(plain_schedule):
    timetable = Timetable.of(plain_schedule)
    # Wednesday 2026-06-10, summer time (UTC+2).
    assert timetable.setting_at(warsaw(2026, 6, 10, 7, 59, 59)).target == MOBILE
    assert timetable.setting_at(warsaw(2026, 6, 10, 8, 0)).target == OFFICE
    assert timetable.setting_at(warsaw(2026, 6, 10, 15, 59, 59)).target == OFFICE
    assert timetable.setting_at(warsaw(2026, 6, 10, 16, 0)).target == MOBILE
    assert targets(timetable.switches(warsaw(2026, 6, 10, 0, 0), warsaw(2026, 6, 11, 0, 0))) == [
        (utc(2026, 6, 10, 6, 0), OFFICE),
        (utc(2026, 6, 10, 14, 0), MOBILE),
    ]
    # Saturday and Sunday have no window: Friday 16:00 holds until Monday 8:00.
    assert targets(timetable.switches(warsaw(2026, 6, 12, 12, 0), warsaw(2026, 6, 15, 12, 0))) == [
        (utc(2026, 6, 12, 14, 0), MOBILE),
        (utc(2026, 6, 15, 6, 0), OFFICE),
    ]


def test_spring_forward_last_sunday_of_march(tenant):
    """29 March 2026: 02:00 CET becomes 03:00 CEST. The windows keep their wall-clock hours."""
    schedule = RedirectSchedule.objects.create(tenant=tenant, name="Całą dobę", target=MOBILE)
    Window.objects.create(schedule=schedule, days=EVERY_DAY, starts=time(8), ends=time(16), target=OFFICE)
    Window.objects.create(
        schedule=schedule, days=EVERY_DAY, starts=time(1, 30), ends=time(2, 30), target=HOLIDAY
    )
    timetable = Timetable.of(schedule)
    assert targets(timetable.switches(warsaw(2026, 3, 28, 0, 0), warsaw(2026, 3, 30, 0, 0))) == [
        (utc(2026, 3, 28, 0, 30), HOLIDAY),  # Saturday, CET: 01:30 = 00:30 UTC
        (utc(2026, 3, 28, 1, 30), MOBILE),
        (utc(2026, 3, 28, 7, 0), OFFICE),
        (utc(2026, 3, 28, 15, 0), MOBILE),
        (utc(2026, 3, 29, 0, 30), HOLIDAY),  # Sunday 01:30 CET
        (utc(2026, 3, 29, 1, 0), MOBILE),  # 02:00 CET is 03:00 CEST: the night window ends at the change
        (utc(2026, 3, 29, 6, 0), OFFICE),  # 08:00 CEST
        (utc(2026, 3, 29, 14, 0), MOBILE),
    ]


def test_fall_back_last_sunday_of_october(tenant):
    """25 October 2026: 03:00 CEST becomes 02:00 CET; the hour 02:00–03:00 passes twice."""
    schedule = RedirectSchedule.objects.create(tenant=tenant, name="Całą dobę", target=MOBILE)
    Window.objects.create(schedule=schedule, days=EVERY_DAY, starts=time(8), ends=time(16), target=OFFICE)
    Window.objects.create(schedule=schedule, days=EVERY_DAY, starts=time(2), ends=time(3), target=HOLIDAY)
    timetable = Timetable.of(schedule)
    assert targets(timetable.switches(warsaw(2026, 10, 24, 0, 0), warsaw(2026, 10, 26, 0, 0))) == [
        (utc(2026, 10, 24, 0, 0), HOLIDAY),  # Saturday, CEST: 02:00 = 00:00 UTC
        (utc(2026, 10, 24, 1, 0), MOBILE),
        (utc(2026, 10, 24, 6, 0), OFFICE),
        (utc(2026, 10, 24, 14, 0), MOBILE),
        (utc(2026, 10, 25, 0, 0), HOLIDAY),  # 02:00 CEST; the clock reads 02:xx until 03:00 CET
        (utc(2026, 10, 25, 2, 0), MOBILE),
        (utc(2026, 10, 25, 7, 0), OFFICE),  # 08:00 CET
        (utc(2026, 10, 25, 15, 0), MOBILE),
    ]


@time_machine.travel(warsaw(2026, 4, 3, 12, 0), tick=False)
def test_easter_monday_in_the_preview(plain_schedule):
    """Good Friday is a working day in Poland; Easter Sunday and Monday (5–6 April 2026) are public
    holidays: the holiday target holds from Sunday's midnight to Tuesday's, then the week goes on."""
    now = timezone.now()
    timetable = Timetable.of(plain_schedule)
    preview = timetable.switches(now, now + timedelta(days=14))
    around_easter = [(at, setting.target, setting.reason) for at, setting in preview if at < utc(2026, 4, 8)]
    assert around_easter == [
        (utc(2026, 4, 3, 14, 0), MOBILE, Switch.Reason.DEFAULT),  # Good Friday 16:00 CEST
        (utc(2026, 4, 4, 22, 0), HOLIDAY, Switch.Reason.HOLIDAY),  # Easter Sunday from midnight
        (utc(2026, 4, 6, 22, 0), MOBILE, Switch.Reason.DEFAULT),
        (utc(2026, 4, 7, 6, 0), OFFICE, Switch.Reason.WINDOW),
        (utc(2026, 4, 7, 14, 0), MOBILE, Switch.Reason.DEFAULT),
    ]
    monday = timetable.setting_at(warsaw(2026, 4, 6, 10, 0))  # a Monday: the window would hold
    assert (monday.target, monday.reason, monday.detail) == (HOLIDAY, Switch.Reason.HOLIDAY, "2026-04-06")
    assert holiday_name(date(2026, 4, 6), "pl") == "Poniedziałek Wielkanocny"
    assert holiday_name(date(2026, 4, 6), "en") == "Easter Monday"


@time_machine.travel(warsaw(2025, 12, 23, 12, 0), tick=False)
def test_christmas_eve_is_a_holiday_from_2025(plain_schedule):
    now = timezone.now()
    timetable = Timetable.of(plain_schedule)
    assert timetable.setting_at(warsaw(2025, 12, 24, 10, 0)).target == HOLIDAY
    assert timetable.setting_at(warsaw(2024, 12, 24, 10, 0)).target == OFFICE  # not yet a holiday in 2024
    preview = targets(timetable.switches(now, now + timedelta(days=2)))
    assert preview[:2] == [(utc(2025, 12, 23, 15, 0), MOBILE), (utc(2025, 12, 23, 23, 0), HOLIDAY)]
    assert holiday_name(date(2025, 12, 24), "pl") == "Wigilia Bożego Narodzenia"


def test_a_closed_day_comes_before_a_holiday_and_the_windows(plain_schedule):
    ClosedDay.objects.create(
        schedule=plain_schedule, day=date(2026, 4, 6), name="Inwentaryzacja", target="223334444"
    )
    ClosedDay.objects.create(
        schedule=plain_schedule, day=date(2026, 4, 8), name="Szkolenie", target="225556666"
    )
    timetable = Timetable.of(plain_schedule)
    assert timetable.setting_at(warsaw(2026, 4, 6, 10, 0)).target == "223334444"
    closed = timetable.setting_at(warsaw(2026, 4, 8, 10, 0))
    assert (closed.target, closed.reason, closed.detail) == ("225556666", Switch.Reason.CLOSED, "Szkolenie")


def test_without_a_holiday_target_holidays_follow_the_windows(plain_schedule):
    plain_schedule.holiday_target = ""
    plain_schedule.save()
    assert Timetable.of(plain_schedule).setting_at(warsaw(2026, 4, 6, 10, 0)).target == OFFICE


def test_the_switch_in_force_is_the_last_one_due(plain_schedule):
    timetable = Timetable.of(plain_schedule)
    due_at, setting = timetable.in_force(warsaw(2026, 6, 10, 12, 34))
    assert (due_at, setting.target) == (utc(2026, 6, 10, 6, 0), OFFICE)
    due_at, setting = timetable.in_force(warsaw(2026, 6, 14, 12, 0))  # Sunday: since Friday 16:00
    assert (due_at, setting.target) == (utc(2026, 6, 12, 14, 0), MOBILE)
