"""In a request a provider client makes ONE attempt with a short timeout: a failing provider costs one
request per page, never the transport's retries (only background reads retry)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from premium.models import PremiumAccount
from sms.models import SerwerSmsAccount
from spikon.models import SpikonAccount
from tests.providers import connect, served_providers

pytestmark = pytest.mark.django_db

# Each provider's cheapest read, as its Test connection makes it.
READS = {"premium": "/api/account/balance", "spikon": "/api/balance/show", "sms": "/subaccounts/index.json"}
ACCOUNTS = {"premium": PremiumAccount, "spikon": SpikonAccount, "sms": SerwerSmsAccount}


@pytest.fixture
def providers(tenant):
    with served_providers() as providers:
        connect(tenant, providers)
        yield providers


@pytest.mark.parametrize("app", ["premium", "spikon", "sms"])
@pytest.mark.parametrize("fault", ["html", "500"])
def test_test_connection_against_a_failing_provider_sends_one_request(
    app, fault, providers, tenant, login, tenant_admin
):
    sandbox = getattr(providers, app)
    sandbox.set_fault(READS[app], fault)

    response = login(tenant_admin).post(reverse(f"{app}:account-test", kwargs={"tenant_slug": tenant.slug}))

    assert response.status_code in (200, 302, 400)
    assert sandbox.request_count(READS[app]) == 1


@pytest.mark.parametrize("app", ["premium", "spikon", "sms"])
def test_the_background_client_retries_the_same_read(app, providers, tenant):
    sandbox = getattr(providers, app)
    sandbox.set_fault(READS[app], "html", times=1)
    client = ACCOUNTS[app].objects.get(tenant=tenant).client(in_request=False)

    {"premium": lambda: client.balance(), "spikon": lambda: client.balance(), "sms": lambda: client.index()}[
        app
    ]()

    assert sandbox.request_count(READS[app]) == 2
