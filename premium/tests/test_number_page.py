"""A number's page, the billing's earnings and the tenant's share per tariff."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditEvent
from premium import earnings
from premium import sync as premium_sync
from premium.models import Call, PremiumAccount, PremiumNumber

pytestmark = pytest.mark.django_db


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture
def synced(premium_account, tenant):
    premium_sync.sync_numbers(premium_account)
    return PremiumNumber.objects.filter(tenant=tenant).order_by("number")


def test_what_callers_paid_and_the_estimated_earning_follow_the_price_and_the_share():
    price = earnings.Price(Decimal("3.46"), Decimal("40"))

    assert price.paid(90) == Decimal("5.19")  # 1.5 min × 3.46 zł
    assert price.earning(90) == Decimal("2.08")
    assert earnings.Price(Decimal("3.46"), None).earning(90) is None
    assert earnings.UNKNOWN.paid(90) is None
    assert earnings.total([Decimal("1.10"), None, Decimal("2.00")]) == Decimal("3.10")
    assert earnings.total([None]) is None


def test_a_number_page_shows_its_settings_history_and_the_months_calls_from_the_provider(
    login, tenant, viewer, owner, synced
):
    number = synced.first()
    account = PremiumAccount.objects.get(tenant=tenant)
    account.earning_shares = {str(number.tariff): "50.00"}
    account.save()
    audit.record(
        tenant, owner, "premium.redirect.set", target=number, changes={"redirect": ("601123456", "602000111")}
    )

    response = login(viewer).get(url("number", tenant, number_id=number.pk))

    assert response.status_code == 200
    page = response.text
    assert (
        "Zmieniono przekierowanie numeru" in page and "602\N{NO-BREAK SPACE}000\N{NO-BREAK SPACE}111" in page
    )
    summary = response.context["chart"]
    assert summary.calls > 0 and summary.answered <= summary.calls
    provider_calls = account.client(in_request=False).number_billing(number.number)
    assert summary.calls == len(provider_calls)
    # What callers paid is counted per day (the number's price × the day's billed time), the month adds
    # up its days, and the estimated earning is half of each day's.
    billed_per_day = defaultdict(int)
    for call in provider_calls:
        billed_per_day[call.start.astimezone(premium_sync.WARSAW).date()] += call.billsec
    price = earnings.Price(number.price_net, Decimal(50))
    assert {bar.day: bar.paid for bar in summary.days if bar.paid is not None} == {
        day: price.paid(seconds) for day, seconds in billed_per_day.items()
    }
    assert summary.paid == sum((price.paid(s) for s in billed_per_day.values()), Decimal(0)) > 0
    assert summary.earning == sum((bar.earning for bar in summary.days if bar.earning is not None), Decimal(0))
    assert summary.cost == sum((bar.cost for bar in summary.days), Decimal(0))
    assert 'class="premium-bar-earning"' in page and "szacowany zarobek" in page


def test_unknown_settings_agree_with_their_nouns_in_polish(login, tenant, viewer, synced):
    number = synced.first()
    number.presentation, number.announcement = "", None
    number.save()

    page = login(viewer).get(url("number", tenant, number_id=number.pk)).text

    # "Numer prezentowany…: nieznany", "Zapowiedź: nieznana"
    assert "<dd>nieznany</dd>" in page and "<dd>nieznana</dd>" in page


def test_a_number_no_longer_on_the_account_says_so(login, tenant, viewer, synced, sandbox):
    number = synced.first()
    with sandbox._lock:
        sandbox._numbers.pop(number.number)

    response = login(viewer).get(url("number", tenant, number_id=number.pk))

    assert response.status_code == 200
    assert "nie ma już na Twoim koncie" in response.text
    assert "chart" not in response.context


def test_a_number_page_hides_other_tenants_numbers(login, other_tenant, tenant, viewer, outsider, synced):
    foreign = PremiumNumber.objects.create(tenant=other_tenant, number="708999999", tariff=6)

    assert login(viewer).get(url("number", tenant, number_id=foreign.pk)).status_code == 404
    assert login(outsider).get(url("number", tenant, number_id=synced.first().pk)).status_code == 404


def test_a_number_page_refuses_post_and_a_bad_month(login, tenant, viewer, synced):
    client = login(viewer)
    number_url = url("number", tenant, number_id=synced.first().pk)

    assert client.post(number_url).status_code == 405
    response = client.get(number_url, {"month": "13", "year": "2025"})
    assert response.status_code == 400 and "chart" not in response.context


def test_an_admin_enters_the_share_per_tariff_with_an_audit_event(login, tenant, tenant_admin, synced):
    response = login(tenant_admin).post(url("account-shares", tenant), {"tariff_6": "40", "tariff_7": ""})

    assert response.status_code == 302
    assert PremiumAccount.objects.get(tenant=tenant).earning_shares == {"6": "40.00"}
    event = AuditEvent.objects.get(tenant=tenant, action="premium.account.shares")
    assert event.changes == {"share in tariff 6": [None, "40.00"]}


def test_a_share_outside_0_to_100_is_refused_and_an_operator_may_not_set_shares(
    login, tenant, tenant_admin, operator, synced
):
    response = login(tenant_admin).post(url("account-shares", tenant), {"tariff_6": "140"})
    assert response.status_code == 400 and response.context["shares_form"].errors
    assert PremiumAccount.objects.get(tenant=tenant).earning_shares == {}

    assert login(operator).post(url("account-shares", tenant), {"tariff_6": "40"}).status_code == 403


def test_billing_shows_what_callers_paid_and_the_estimated_earning(
    login, tenant, viewer, premium_account, synced
):
    premium_account.earning_shares = {str(tariff): "50.00" for tariff in range(4, 9)}
    premium_account.save()
    year, month = premium_sync.current_month()
    premium_sync.sync_billing(premium_account, premium_sync.billing_resource(year, month))

    response = login(viewer).get(url("billing", tenant))

    summary = response.context["summary"]
    assert summary.paid is not None and summary.paid > 0
    assert summary.number_count == len(summary.numbers)
    assert summary.paid == sum((row.paid for row in summary.numbers), Decimal(0))
    # The month's estimated earning is rounded per day and tariff, a number's per day and number: they
    # differ by half a grosz per day and number at most.
    numbers_earning = sum((row.earning for row in summary.numbers), Decimal(0))
    days_with_calls = sum(1 for bar in summary.days if bar.calls)
    assert abs(summary.earning - numbers_earning) <= Decimal("0.005") * days_with_calls * len(summary.numbers)
    assert "Szacowany zarobek" in response.text


def test_what_callers_paid_per_day_follows_each_numbers_price_and_the_month_is_the_sum_of_its_days(
    login, tenant, viewer, premium_account, synced
):
    """Callers paid per day is added up in the database from the totals per day and tariff (a number's
    from its totals per day); here it is counted again in Python from the calls, the prices and the
    shares. The month's estimated earning per day is the share of each tariff's takings that day."""
    tariffs = sorted({number.tariff for number in synced})
    premium_account.earning_shares = {str(tariffs[0]): "40.00"}  # one tariff's share entered, not all
    premium_account.save()
    year, month = premium_sync.current_month()
    premium_sync.sync_billing(premium_account, premium_sync.billing_resource(year, month))
    prices = earnings.prices(tenant, premium_account, [number.number for number in synced])
    tariffs_of = {number.number: number.tariff for number in synced}
    shares = earnings.shares(premium_account)
    client = login(viewer)

    for query in ({}, {"disposition": "ANSWERED"}, {"number": synced[0].number}):
        calls = Call.objects.filter(tenant=tenant, **query)
        billed = defaultdict(int)  # (day, number) -> billed seconds
        for call in calls:
            billed[call.started_at.astimezone(premium_sync.WARSAW).date(), call.number] += call.billed_seconds
        expected_paid, expected_earning = defaultdict(list), defaultdict(list)
        tariff_paid = defaultdict(list)  # (day, tariff) -> what callers paid for each of its numbers
        for (day, number), seconds in billed.items():
            price = prices.get(number, earnings.UNKNOWN)
            expected_paid[day].append(price.paid(seconds))
            if "number" in query:
                expected_earning[day].append(price.earning(seconds))
            else:
                tariff_paid[day, tariffs_of[number]].append(price.paid(seconds))
        for (day, tariff), paid in tariff_paid.items():
            expected_earning[day].append(earnings.share_of(earnings.total(paid), shares.get(tariff)))

        summary = client.get(url("billing", tenant), query).context["summary"]

        assert summary.calls == calls.count() > 0, query
        for bar in summary.days:
            assert bar.paid == earnings.total(expected_paid[bar.day]), (query, bar.day)
            assert bar.earning == earnings.total(expected_earning[bar.day]), (query, bar.day)
        assert summary.paid == sum((bar.paid for bar in summary.days if bar.paid is not None), Decimal(0)) > 0
        assert summary.earning == sum(
            (bar.earning for bar in summary.days if bar.earning is not None), Decimal(0)
        ) > 0
        assert summary.cost == sum((bar.cost for bar in summary.days), Decimal(0))
        # Each listed number's takings are the sum of its days too; all listed, they make the month.
        for row in summary.numbers:
            days = [seconds for (_day, number), seconds in billed.items() if number == row.number]
            price = prices.get(row.number, earnings.UNKNOWN)
            assert row.paid == earnings.total([price.paid(seconds) for seconds in days]), (query, row.number)
        if summary.number_count == len(summary.numbers):
            assert summary.paid == sum((row.paid for row in summary.numbers if row.paid is not None), Decimal(0))
