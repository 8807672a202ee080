"""The SPIKON account page: the API key is write-only, the address is checked, Test connection works."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from spikon.models import SpikonAccount
from spikon.sandbox import DEMO_API_KEY

pytestmark = pytest.mark.django_db
NEW_KEY = "Zk3nQp9sV2mLr8TwXc5yHb7u"


def url(tenant, name: str = "spikon:account") -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug})


def test_admin_sets_up_the_account_and_the_key_is_never_shown(tenant, login, tenant_admin):
    client = login(tenant_admin)

    response = client.post(url(tenant), {"api_key": NEW_KEY, "base_url": "https://panel.spikon.pl"})

    assert response.status_code == 302
    account = SpikonAccount.objects.get(tenant=tenant)
    assert account.api_key == NEW_KEY
    page = client.get(url(tenant)).content.decode()
    assert NEW_KEY[:-4] not in page  # only the last four characters are shown
    assert "…Hb7u" in page
    event = AuditEvent.objects.get(tenant=tenant, action="spikon.account.update")
    assert NEW_KEY not in str(event.changes) and event.changes["api_key"] == ["(changed)", "(changed)"]


def test_an_empty_key_keeps_the_saved_one(spikon_account, login, tenant_admin):
    response = login(tenant_admin).post(
        url(spikon_account.tenant), {"api_key": "", "base_url": spikon_account.base_url}
    )
    assert response.status_code == 302
    spikon_account.refresh_from_db()
    assert spikon_account.api_key == DEMO_API_KEY


def test_a_new_address_needs_the_key_again(spikon_account, login, tenant_admin, settings):
    settings.ALLOWED_PROVIDER_HOSTS = ["evil.example.com"]
    client = login(tenant_admin)

    response = client.post(
        url(spikon_account.tenant), {"api_key": "", "base_url": "https://evil.example.com"}
    )

    assert response.status_code == 400
    assert "Nowy adres wymaga ponownego wpisania klucza." in response.content.decode()
    spikon_account.refresh_from_db()
    assert spikon_account.base_url.startswith("http://127.0.0.1")


@pytest.mark.parametrize(
    ("base_url", "error"),
    [
        ("http://panel.spikon.pl", "tylko dla 127.0.0.1"),
        ("ftp://panel.spikon.pl", "https://"),
        ("https://panel.spikon.pl/?x=1", "bez"),
        ("nie adres", "Wpisz poprawny URL"),
    ],
)
def test_bad_addresses_get_a_clear_error(tenant, login, tenant_admin, base_url, error):
    response = login(tenant_admin).post(url(tenant), {"api_key": NEW_KEY, "base_url": base_url})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not SpikonAccount.objects.filter(tenant=tenant).exists()


def test_the_first_save_needs_a_key(tenant, login, tenant_admin):
    response = login(tenant_admin).post(url(tenant), {"api_key": "", "base_url": "https://panel.spikon.pl"})
    assert response.status_code == 400
    assert "Wpisz klucz API" in response.content.decode()


def test_test_connection_reads_the_balance(spikon_account, login, tenant_admin):
    response = login(tenant_admin).post(
        url(spikon_account.tenant, "spikon:account-test"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Połączenie działa" in response.content.decode() and "287,45" in response.content.decode()


def test_test_connection_explains_a_refused_key(spikon_account, sandbox, login, tenant_admin):
    sandbox.api_enabled = False
    client = login(tenant_admin)

    response = client.post(url(spikon_account.tenant, "spikon:account-test"), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200 and "notice-error" in page
    assert "-4" in page and "API turned off" in page and DEMO_API_KEY not in page
    without_js = client.post(url(spikon_account.tenant, "spikon:account-test"), follow=True)
    assert "API turned off" in without_js.content.decode()


def test_test_connection_without_a_key(tenant, login, tenant_admin):
    response = login(tenant_admin).post(url(tenant, "spikon:account-test"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "notice-error" in page and "Najpierw zapisz klucz API" in page


def test_only_admins_manage_the_account(spikon_account, login, operator, outsider):
    tenant = spikon_account.tenant
    assert login(operator).get(url(tenant)).status_code == 403
    assert login(operator).post(url(tenant, "spikon:account-test")).status_code == 403
    assert login(outsider).get(url(tenant)).status_code == 404
    assert login(outsider).post(url(tenant, "spikon:account-test")).status_code == 404


def test_wrong_methods(spikon_account, login, tenant_admin):
    client = login(tenant_admin)
    assert client.get(url(spikon_account.tenant, "spikon:account-test")).status_code == 405
    assert client.put(url(spikon_account.tenant)).status_code == 405
