"""A number's page, the billing's earnings and the tenant's share per tariff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import audit
from accounts.models import AuditEvent
from premium import earnings
from premium import sync as premium_sync
from premium.models import PremiumAccount, PremiumNumber

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
    paid = response.context["paid"]
    assert paid == (number.price_net * summary.billed_seconds / 60).quantize(Decimal("0.01"))
    assert response.context["earning"] == (paid / 2).quantize(Decimal("0.01"))
    assert summary.calls == len(account.client(in_request=False).number_billing(number.number))


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
    assert summary.earning == sum(
        (row.earning for row in summary.numbers if row.earning is not None), Decimal(0)
    ) or summary.number_count > len(summary.numbers)
    assert "Szacowany zarobek" in response.text
