"""The schedule pages: making a schedule, its windows and closed days, bad input, the preview, pausing,
and the question after a manual redirect change of a scheduled number."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from premium.models import PremiumNumber
from redirect_schedules.models import ClosedDay, RedirectSchedule, Switch, Window
from redirect_schedules.tests.conftest import HOLIDAY, MOBILE, OFFICE

WARSAW = ZoneInfo("Europe/Warsaw")


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"redirect_schedules:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture
def numbers(tenant) -> list[PremiumNumber]:
    return [PremiumNumber.objects.create(tenant=tenant, number=f"70800000{i}", tariff=6) for i in (1, 2)]


def test_an_operator_makes_a_schedule_with_a_window_and_a_closed_day(tenant, operator, numbers, login):
    client = login(operator)
    created = client.post(
        url("new", tenant),
        {
            "name": "Biuro",
            "numbers": [numbers[0].pk],
            "target": "+48 601 000 111",
            "presentation": "prezentacjaA",
            "holiday_target": "602-000-222",
            "holiday_presentation": "prezentacja",
        },
    )
    schedule = RedirectSchedule.objects.get(tenant=tenant)
    assert created["Location"] == url("detail", tenant, schedule_id=schedule.pk)
    assert (schedule.target, schedule.holiday_target, list(schedule.numbers.all())) == (
        MOBILE,
        HOLIDAY,
        [numbers[0]],
    )

    window = client.post(
        url("window-add", schedule_id=schedule.pk, tenant=tenant),
        {
            "days": ["0", "1", "2", "3", "4"],
            "starts": "08:00",
            "ends": "16:00",
            "target": OFFICE,
            "presentation": "prezentacjaA",
        },
    )
    assert window.status_code == 302
    assert Window.objects.get(schedule=schedule).days == [0, 1, 2, 3, 4]
    closed = client.post(
        url("closed-day-add", schedule_id=schedule.pk, tenant=tenant),
        {"day": "2026-08-14", "name": "Most", "target": "223334444", "presentation": "prezentacjaA"},
    )
    assert closed.status_code == 302
    assert ClosedDay.objects.get(schedule=schedule).name == "Most"
    assert set(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True)) == {
        "redirect_schedules.create",
        "redirect_schedules.window.add",
        "redirect_schedules.closed_day.add",
    }


def test_bad_input_gets_a_clear_error(tenant, operator, numbers, login):
    client = login(operator)
    bad = client.post(url("new", tenant), {"name": "Biuro", "numbers": [numbers[0].pk], "target": "12"})
    assert bad.status_code == 400
    assert "Podaj polski numer z 9 cyfr" in bad.content.decode()

    schedule = RedirectSchedule.objects.create(tenant=tenant, name="Biuro", target=MOBILE)
    schedule.numbers.add(numbers[0])
    taken = client.post(
        url("new", tenant),
        {
            "name": "Drugi",
            "numbers": [numbers[0].pk],
            "target": MOBILE,
            "presentation": "prezentacjaA",
            "holiday_presentation": "prezentacjaA",
        },
    )
    assert taken.status_code == 400
    assert "podlegają już innemu harmonogramowi" in taken.content.decode()

    backwards = client.post(
        url("window-add", schedule_id=schedule.pk, tenant=tenant),
        {"days": ["0"], "starts": "16:00", "ends": "08:00", "target": OFFICE, "presentation": "prezentacjaA"},
    )
    assert backwards.status_code == 400
    assert "jeden przedział do 00:00 i drugi od 00:00" in backwards.content.decode()
    no_days = client.post(
        url("window-add", schedule_id=schedule.pk, tenant=tenant),
        {"days": ["9"], "starts": "08:00", "ends": "16:00", "target": OFFICE, "presentation": "prezentacjaA"},
    )
    assert no_days.status_code == 400
    assert not Window.objects.exists()

    ClosedDay.objects.create(schedule=schedule, day="2026-08-14", name="Most", target=OFFICE)
    twice = client.post(
        url("closed-day-add", schedule_id=schedule.pk, tenant=tenant),
        {"day": "2026-08-14", "name": "Znowu", "target": OFFICE, "presentation": "prezentacjaA"},
    )
    assert twice.status_code == 400
    assert "jest już dniem zamknięcia" in twice.content.decode()


def test_the_wrong_method_is_refused(tenant, operator, numbers, login):
    schedule = RedirectSchedule.objects.create(tenant=tenant, name="Biuro", target=MOBILE)
    client = login(operator)
    assert client.get(url("pause", tenant, schedule_id=schedule.pk)).status_code == 405
    assert client.post(url("detail", tenant, schedule_id=schedule.pk)).status_code == 405
    assert client.put(url("new", tenant)).status_code == 405


@time_machine.travel(datetime(2026, 4, 2, 12, 0, tzinfo=WARSAW), tick=True)
def test_the_preview_names_the_holidays_in_the_readers_language(tenant, viewer, numbers, login, client):
    schedule = RedirectSchedule.objects.create(
        tenant=tenant, name="Biuro", target=MOBILE, holiday_target=HOLIDAY
    )
    page = login(viewer).get(url("detail", tenant, schedule_id=schedule.pk)).content.decode()
    assert "święto: Niedziela Wielkanocna" in page
    client.cookies["django_language"] = "en"
    page = client.get(url("detail", tenant, schedule_id=schedule.pk)).content.decode()
    assert "public holiday: Easter Sunday" in page


def test_a_manual_change_of_a_scheduled_number_asks_whether_to_pause(
    tenant, operator, login, schedule, scheduled_numbers
):
    number = scheduled_numbers[0]
    client = login(operator)
    manual = reverse("premium:number-redirect", kwargs={"tenant_slug": tenant.slug, "number_id": number.pk})
    form = {f"n{number.pk}-target": "605555555", f"n{number.pk}-presentation": "prezentacjaA"}
    question = url("pause-question", tenant, number_id=number.pk)
    assert client.post(manual, form)["Location"] == question
    assert client.post(manual, form, HTTP_HX_REQUEST="true")["HX-Redirect"] == question
    page = client.get(question).content.decode()
    assert "Ten numer podlega harmonogramowi „Biuro”" in page

    assert client.post(url("pause", tenant, schedule_id=schedule.pk)).status_code == 302
    schedule.refresh_from_db()
    assert schedule.is_paused
    # Paused: the next manual change asks nothing.
    assert client.post(manual, form)["Location"].startswith(
        reverse("premium:numbers", kwargs={"tenant_slug": tenant.slug})
    )
    unscheduled = (
        PremiumNumber.objects.exclude(pk__in=[n.pk for n in scheduled_numbers]).filter(tenant=tenant).first()
    )
    other = reverse(
        "premium:number-redirect", kwargs={"tenant_slug": tenant.slug, "number_id": unscheduled.pk}
    )
    answer = client.post(
        other, {f"n{unscheduled.pk}-target": "605555555", f"n{unscheduled.pk}-presentation": "prezentacjaA"}
    )
    assert answer["Location"] != url("pause-question", tenant, number_id=unscheduled.pk)


def test_the_list_costs_the_same_queries_for_one_schedule_or_many(
    tenant, viewer, login, django_assert_max_num_queries
):
    client = login(viewer)

    def schedule(name: str) -> None:
        made = RedirectSchedule.objects.create(tenant=tenant, name=name, target=MOBILE)
        made.numbers.add(PremiumNumber.objects.create(tenant=tenant, number=f"7080{len(name):05d}", tariff=6))
        Window.objects.create(schedule=made, days=[0], starts="08:00", ends="16:00", target=OFFICE)
        Switch.objects.create(
            tenant=tenant,
            schedule=made,
            due_at=made.created_at,
            reason="default",
            target=MOBILE,
            presentation="prezentacjaA",
            announcement=False,
        )

    schedule("A")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("list", tenant)).status_code == 200
    for name in ("BB", "CCC", "DDDD"):
        schedule(name)
    with django_assert_max_num_queries(len(one)):
        page = client.get(url("list", tenant))
    assert page.content.decode().count("badge-pending") == 4  # each schedule's last switch, being made
