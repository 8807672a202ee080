"""A tenant whose Numery-Premium.PL account points at a sandbox served over HTTP, its numbers synced,
and a schedule "weekdays 8–16 to the office, otherwise and on holidays to the mobile"."""

from __future__ import annotations

from datetime import time

import pytest

from premium import sync as premium_sync
from premium.models import PremiumNumber
from premium.tests.live import account_at, served_sandbox
from redirect_schedules.models import RedirectSchedule, Window

OFFICE = "221234567"
MOBILE = "601000111"
HOLIDAY = "602000222"
WEEKDAYS = [0, 1, 2, 3, 4]


@pytest.fixture
def served():
    with served_sandbox() as (sandbox, url):
        yield sandbox, url


@pytest.fixture
def sandbox(served):
    return served[0]


@pytest.fixture
def premium_account(tenant, served):
    account = account_at(tenant, served[1])
    premium_sync.sync_numbers(account)
    return account


def office_schedule(tenant, numbers, *, holiday: str = HOLIDAY, days=WEEKDAYS) -> RedirectSchedule:
    schedule = RedirectSchedule.objects.create(
        tenant=tenant, name="Biuro", target=MOBILE, holiday_target=holiday
    )
    schedule.numbers.set(numbers)
    Window.objects.create(schedule=schedule, days=days, starts=time(8), ends=time(16), target=OFFICE)
    return schedule


@pytest.fixture
def scheduled_numbers(tenant, premium_account) -> list[PremiumNumber]:
    return list(PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:2])


@pytest.fixture
def schedule(tenant, scheduled_numbers) -> RedirectSchedule:
    return office_schedule(tenant, scheduled_numbers)
