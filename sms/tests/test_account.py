"""The account page: credentials are write-only, the sign-in method is chosen, Test connection reads the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, SyncStatus
from sms.models import SerwerSmsAccount
from sms.sandbox import DEMO_PASSWORD, DEMO_TOKEN, DEMO_USERNAME


def url(tenant, name: str = "sms:account") -> str:
    return reverse(name, kwargs={"tenant_slug": tenant.slug})


def test_admin_sets_up_a_token_account_and_the_token_never_comes_back(
    login, tenant, tenant_admin, sandbox_url
):
    client = login(tenant_admin)
    response = client.post(
        url(tenant),
        {"auth_method": "token", "api_token": DEMO_TOKEN, "base_url": sandbox_url},
    )
    assert response.status_code == 302
    account = SerwerSmsAccount.objects.get(tenant=tenant)
    assert account.api_token == DEMO_TOKEN and account.base_url == sandbox_url
    page = client.get(url(tenant)).content.decode()
    assert DEMO_TOKEN not in page and DEMO_TOKEN[-4:] in page  # only the hint
    event = AuditEvent.objects.get(tenant=tenant, action="sms.account")
    assert event.changes["API token"] == ["(changed)", "(changed)"]
    assert DEMO_TOKEN not in str(event.changes) and event.username == tenant_admin.username
    assert SyncStatus.objects.get(tenant=tenant, provider="sms").queued_at is not None


def test_the_stored_token_is_encrypted(tenant, sandbox_url):
    SerwerSmsAccount.objects.create(tenant=tenant, api_token=DEMO_TOKEN, base_url=sandbox_url)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM sms_serwersmsaccount")
        (raw,) = cursor.fetchone()
    assert DEMO_TOKEN not in raw


def test_switching_to_an_api_user_drops_the_token(login, tenant, tenant_admin, sandbox_url):
    SerwerSmsAccount.objects.create(tenant=tenant, api_token=DEMO_TOKEN, base_url=sandbox_url)
    response = login(tenant_admin).post(
        url(tenant),
        {
            "auth_method": "api_user",
            "api_username": DEMO_USERNAME,
            "api_password": DEMO_PASSWORD,
            "base_url": sandbox_url,
        },
    )
    assert response.status_code == 302
    account = SerwerSmsAccount.objects.get(tenant=tenant)
    assert (account.auth_method, account.api_username, account.api_password, account.api_token) == (
        "api_user",
        DEMO_USERNAME,
        DEMO_PASSWORD,
        "",
    )
    changes = AuditEvent.objects.get(action="sms.account").changes
    assert changes["sign-in method"] == ["API token", "API user (login and password)"]
    assert changes["API user password"] == ["(changed)", "(changed)"] and DEMO_PASSWORD not in str(changes)


def test_an_empty_secret_keeps_the_saved_one_but_not_for_a_new_address(
    login, tenant, tenant_admin, sandbox_url
):
    SerwerSmsAccount.objects.create(tenant=tenant, api_token=DEMO_TOKEN, base_url=sandbox_url)
    client = login(tenant_admin)

    kept = client.post(url(tenant), {"auth_method": "token", "api_token": "", "base_url": sandbox_url})
    moved = client.post(url(tenant), {"auth_method": "token", "api_token": "", "base_url": ""})

    assert kept.status_code == 302
    assert moved.status_code == 400 and "A new address needs the key typed again." in moved.text
    account = SerwerSmsAccount.objects.get(tenant=tenant)
    assert account.api_token == DEMO_TOKEN and account.base_url == sandbox_url
    assert not AuditEvent.objects.filter(action="sms.account").exists()


def test_a_new_api_user_login_needs_its_password(login, tenant, tenant_admin):
    SerwerSmsAccount.objects.create(
        tenant=tenant, auth_method="api_user", api_username="webapi_stary", api_password="stare-haslo"
    )
    response = login(tenant_admin).post(
        url(tenant), {"auth_method": "api_user", "api_username": "webapi_nowy"}
    )
    assert response.status_code == 400
    assert "Enter the API user" in response.content.decode()
    assert SerwerSmsAccount.objects.get(tenant=tenant).api_username == "webapi_stary"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"auth_method": "token"}, "Enter the API token."),
        ({"auth_method": "api_user", "api_password": "x-123"}, "Enter the API user"),
        ({"auth_method": "carrier-pigeon"}, "Select a valid choice"),
        ({"auth_method": "token", "api_token": "t-123", "base_url": "http://10.0.0.5/api"}, "plain http://"),
        ({"auth_method": "token", "api_token": "t-123", "base_url": "ftp://127.0.0.1/"}, "https://"),
        ({"auth_method": "token", "api_token": "t-123", "base_url": "https://x.pl/?a=1"}, "without"),
        ({"auth_method": "token", "api_token": "t-123", "base_url": "not a url"}, "Enter a valid URL"),
    ],
)
def test_bad_account_input_gets_a_clear_message_and_saves_nothing(login, tenant, tenant_admin, data, message):
    response = login(tenant_admin).post(url(tenant), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SerwerSmsAccount.objects.exists() and not AuditEvent.objects.exists()


def test_a_refused_form_does_not_echo_the_secret(login, tenant, tenant_admin):
    response = login(tenant_admin).post(
        url(tenant),
        {"auth_method": "token", "api_token": "sekret-tokenu-9999", "base_url": "http://10.1.1.1"},
    )
    assert response.status_code == 400 and "sekret-tokenu-9999" not in response.content.decode()


def test_https_and_loopback_base_urls_are_accepted(login, tenant, tenant_admin):
    client = login(tenant_admin)
    for base_url in ("https://api2.serwersms.pl/", "http://localhost:8001/sms", "http://[::1]:8001/sms"):
        response = client.post(
            url(tenant), {"auth_method": "token", "api_token": "t-12345", "base_url": base_url}
        )
        assert response.status_code == 302, base_url
    assert SerwerSmsAccount.objects.get(tenant=tenant).base_url == "http://[::1]:8001/sms"


def test_test_connection_reports_the_count(login, tenant, tenant_admin, sms_account):
    response = login(tenant_admin).post(url(tenant, "sms:account-test"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "5" in response.content.decode() and "notice-success" in response.content.decode()


def test_test_connection_shows_the_providers_refusal(login, tenant, tenant_admin, sms_account, sandbox):
    sandbox.set_fault("/subaccounts/index.json", "auth")
    client = login(tenant_admin)
    response = client.post(url(tenant, "sms:account-test"))
    assert response.status_code == 302
    page = client.get(url(tenant)).content.decode()
    assert "1001 InvalidUser" in page and "Nieprawidłowy użytkownik lub hasło" in page
    assert DEMO_TOKEN not in page


def test_test_connection_without_an_account(login, tenant, tenant_admin):
    response = login(tenant_admin).post(url(tenant, "sms:account-test"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "notice-error" in response.content.decode()


def test_only_admins_manage_the_account(login, tenant, operator, owner, outsider):
    assert login(operator).get(url(tenant)).status_code == 403
    assert login(operator).post(url(tenant, "sms:account-test")).status_code == 403
    assert login(outsider).get(url(tenant)).status_code == 404
    assert login(owner).get(url(tenant)).status_code == 200


def test_wrong_methods(login, tenant, tenant_admin):
    client = login(tenant_admin)
    assert client.get(url(tenant, "sms:account-test")).status_code == 405
    assert client.put(url(tenant)).status_code == 405


def test_the_account_page_in_polish(login, tenant, tenant_admin, sms_account, settings):
    client = login(tenant_admin)
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    page = client.get(url(tenant)).content.decode()
    assert "Konto SerwerSMS.pl" in page and "Sprawdź połączenie" in page


def test_an_account_without_usable_credentials_never_calls_the_provider(
    login, tenant, tenant_admin, sandbox_url
):
    SerwerSmsAccount.objects.create(
        tenant=tenant, auth_method="api_user", api_username="webapi_x", base_url=sandbox_url
    )
    client = login(tenant_admin)
    assert "No SerwerSMS.pl account" in client.get(url(tenant, "sms:index")).content.decode()
    response = client.post(url(tenant, "sms:account-test"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Save the credentials first" in response.content.decode()
