"""One account form rule in the three apps: a stored secret is never sent to an address it was not
entered for, and an empty secret field keeps the stored secret."""

from __future__ import annotations

import pytest
from django.urls import reverse

from premium.models import PremiumAccount
from sms.models import SerwerSmsAccount
from spikon.models import SpikonAccount

pytestmark = pytest.mark.django_db

SANDBOX = "http://127.0.0.1:8999"
NEW_ADDRESS = "https://api.elsewhere.example"
REFUSED = "Nowy adres wymaga ponownego wpisania klucza."


def make_premium(tenant):
    PremiumAccount.objects.create(
        tenant=tenant, email="a@firma.pl", api_key="np-key-1234567890", base_url=SANDBOX
    )
    return "premium:account-save", {"email": "a@firma.pl", "api_key": ""}, ("api_key", "np-key-1234567890")


def make_sms(tenant):
    SerwerSmsAccount.objects.create(tenant=tenant, api_token="sms-token-1234567890", base_url=SANDBOX)
    return "sms:account", {"auth_method": "token", "api_token": ""}, ("api_token", "sms-token-1234567890")


def make_spikon(tenant):
    SpikonAccount.objects.create(tenant=tenant, api_key="spikon-key-1234567890", base_url=SANDBOX)
    return "spikon:account", {"api_key": ""}, ("api_key", "spikon-key-1234567890")


MAKERS = {"premium": make_premium, "sms": make_sms, "spikon": make_spikon}


@pytest.fixture(autouse=True)
def _new_address_is_an_allowed_host(settings):
    """The new address passes the host check, so that only the secret rule can refuse it."""
    settings.ALLOWED_PROVIDER_HOSTS = ["api.elsewhere.example"]


@pytest.mark.parametrize("app", MAKERS)
def test_a_new_address_with_the_secret_left_empty_is_refused(app, tenant, login, tenant_admin):
    url_name, data, (secret_field, secret) = MAKERS[app](tenant)
    client = login(tenant_admin)

    response = client.post(
        reverse(url_name, kwargs={"tenant_slug": tenant.slug}), {**data, "base_url": NEW_ADDRESS}
    )

    assert response.status_code == 400 and REFUSED in response.text
    account = type(response.context["form"].instance).objects.get(tenant=tenant)
    assert account.base_url == SANDBOX and getattr(account, secret_field) == secret


@pytest.mark.parametrize("app", MAKERS)
def test_the_same_address_with_the_secret_left_empty_keeps_the_secret(app, tenant, login, tenant_admin):
    url_name, data, (secret_field, secret) = MAKERS[app](tenant)

    response = login(tenant_admin).post(
        reverse(url_name, kwargs={"tenant_slug": tenant.slug}), {**data, "base_url": SANDBOX}
    )

    assert response.status_code == 302
    model = {"premium": PremiumAccount, "sms": SerwerSmsAccount, "spikon": SpikonAccount}[app]
    account = model.objects.get(tenant=tenant)
    assert account.base_url == SANDBOX and getattr(account, secret_field) == secret


@pytest.mark.parametrize("app", MAKERS)
def test_a_new_address_with_the_secret_typed_again_is_saved(app, tenant, login, tenant_admin):
    url_name, data, (secret_field, _secret) = MAKERS[app](tenant)

    response = login(tenant_admin).post(
        reverse(url_name, kwargs={"tenant_slug": tenant.slug}),
        {**data, secret_field: "typed-again-1234567890", "base_url": NEW_ADDRESS},
    )

    assert response.status_code == 302
    model = {"premium": PremiumAccount, "sms": SerwerSmsAccount, "spikon": SpikonAccount}[app]
    account = model.objects.get(tenant=tenant)
    assert account.base_url == NEW_ADDRESS and getattr(account, secret_field) == "typed-again-1234567890"


def test_the_official_spikon_address_is_stored_as_blank(tenant, login, tenant_admin):
    response = login(tenant_admin).post(
        reverse("spikon:account", kwargs={"tenant_slug": tenant.slug}),
        {"api_key": "spikon-key-1234567890", "base_url": "https://panel.spikon.pl/"},
    )

    assert response.status_code == 302
    account = SpikonAccount.objects.get(tenant=tenant)
    assert account.base_url == "" and account.api_base_url == "https://panel.spikon.pl"
