"""Objects the role-matrix test needs for the redirect schedules' URLs that take an id."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from itertools import count

from accounts.models import Tenant
from premium.models import PremiumNumber
from redirect_schedules.models import ClosedDay, RedirectSchedule, Window

_serial = count(1)


def _schedule(tenant: Tenant) -> RedirectSchedule:
    number = PremiumNumber.objects.create(
        tenant=tenant, number=f"709{next(_serial):06d}", tariff=6, price_net=Decimal("3.46"), vat_percent=23
    )
    schedule = RedirectSchedule.objects.create(tenant=tenant, name="Biuro", target="601000111")
    schedule.numbers.add(number)
    return schedule


def a_schedule(tenant: Tenant) -> dict[str, int]:
    return {"schedule_id": _schedule(tenant).pk}


def a_window(tenant: Tenant) -> dict[str, int]:
    schedule = _schedule(tenant)
    window = Window.objects.create(
        schedule=schedule, days=[0], starts=time(8), ends=time(16), target="221234567"
    )
    return {"schedule_id": schedule.pk, "window_id": window.pk}


def a_closed_day(tenant: Tenant) -> dict[str, int]:
    schedule = _schedule(tenant)
    closed = ClosedDay.objects.create(
        schedule=schedule, day=date(2026, 8, 14), name="Most", target="221234567"
    )
    return {"schedule_id": schedule.pk, "closed_day_id": closed.pk}


def a_scheduled_number(tenant: Tenant) -> dict[str, int]:
    return {"number_id": _schedule(tenant).numbers.get().pk}


OBJECTS = {
    "redirect_schedules:detail": a_schedule,
    "redirect_schedules:edit": a_schedule,
    "redirect_schedules:delete": a_schedule,
    "redirect_schedules:pause": a_schedule,
    "redirect_schedules:resume": a_schedule,
    "redirect_schedules:window-add": a_schedule,
    "redirect_schedules:window-delete": a_window,
    "redirect_schedules:closed-day-add": a_schedule,
    "redirect_schedules:closed-day-delete": a_closed_day,
    "redirect_schedules:pause-question": a_scheduled_number,
}
