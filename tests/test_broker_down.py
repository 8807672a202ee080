"""Queuing after commit never fails a request: with the broker down, a purchase or a subaccount creation
still tells the provider's outcome and records it (the sweeper and the schedules queue the rest later)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from premium.models import PremiumNumber
from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL, PremiumSandbox
from premium.sync import sync_numbers
from premium.tests.live import account_at
from premium.views.numbers import PURCHASE_TOKENS
from provider_api.wsgi_server import serve_in_thread
from providers.formatting import phone
from sms.models import SerwerSmsAccount, Subaccount, SubaccountCreation
from sms.sandbox import DEMO_PASSWORD, DEMO_TEMPLATE_ID, DEMO_TOKEN, DEMO_USERNAME, SerwerSmsSandbox
from sms.sync import sync_subaccounts
from tests.faults import SANDBOX_HANG_SECONDS, use_broker_down, use_short_timeouts

# The requests' transactions commit for real: their on-commit queuing runs as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def url(name: str, tenant) -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug})


def test_buying_a_number_with_the_broker_down_tells_and_records_the_purchase(
    tenant, login, tenant_admin, monkeypatch
):
    sandbox = PremiumSandbox(DEMO_EMAIL, DEMO_API_KEY)
    sandbox.seed_demo()
    with serve_in_thread(sandbox) as sandbox_url:
        sync_numbers(account_at(tenant, sandbox_url))
        before = set(PremiumNumber.objects.values_list("number", flat=True))
        client = login(tenant_admin)
        client.get(url("premium:number-buy", tenant), {"tariff": 5})
        confirmation = client.session[PURCHASE_TOKENS][-1]
        use_broker_down(monkeypatch)

        response = client.post(url("premium:number-buy", tenant), {"tariff": 5, "confirmation": confirmation})

    assert response.status_code == 302
    (bought,) = PremiumNumber.objects.exclude(number__in=before)
    assert sandbox.number(bought.number) is not None
    assert sandbox.request_count("/api/prm/voice/addNumber/5") == 1
    assert AuditEvent.objects.get(action="premium.number.buy").outcome == "success"
    page = client.get(response["Location"]).text
    assert phone(bought.number) in page  # as people read it: 705 394 640


def test_creating_a_subaccount_with_the_broker_down_tells_the_unknown_outcome(
    tenant, login, tenant_admin, monkeypatch
):
    use_short_timeouts(monkeypatch)
    sandbox = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    sandbox.seed_demo()
    sandbox.fault_timeout_seconds = SANDBOX_HANG_SECONDS
    with serve_in_thread(sandbox) as sandbox_url:
        SerwerSmsAccount.objects.create(tenant=tenant, api_token=DEMO_TOKEN, base_url=sandbox_url)
        sync_subaccounts(tenant.pk)
        client = login(tenant_admin)
        form = client.get(url("sms:subaccount-create", tenant)).context["form"]
        template = Subaccount.objects.get(tenant=tenant, provider_id=DEMO_TEMPLATE_ID)
        sandbox.set_fault("/subaccounts/add.json", "timeout")
        use_broker_down(monkeypatch)

        response = client.post(
            url("sms:subaccount-create", tenant),
            {
                "form_token": form.initial["form_token"],
                "template": template.pk,
                "login": "nowe.konto",
                "password": "Haslo-Nowe-77",
            },
            follow=True,
        )

    assert response.status_code == 200
    assert "nowe.konto" in response.text and "sprawdź" in response.text.lower()
    assert SubaccountCreation.objects.get(login="nowe.konto").status == SubaccountCreation.Status.UNKNOWN
    assert sandbox.request_count("/subaccounts/add.json") == 1
    assert AuditEvent.objects.get(action="sms.subaccount.create").outcome == "failure"
