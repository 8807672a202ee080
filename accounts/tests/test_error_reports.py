"""With DEBUG on, Django's error page of a crashing provider client shows no key, token or password."""

from __future__ import annotations

import pytest
import responses
from django.urls import reverse

from premium.models import PremiumAccount
from sms.models import SerwerSmsAccount

BASE = "https://provider.test"
TOKEN = "SMStok-Crash-Qw8Er4Ty6U"
API_PASSWORD = "SMSpwd-Crash-Zx3Cv7Bn1M"
API_KEY = "PRMkey-Crash-As5Df9Gh2J"


def pieces(secret: str) -> list[str]:
    return [secret[i : i + 8] for i in range(len(secret) - 7)]


def _crash(*args, **kwargs):
    raise TypeError("the client met an answer it did not expect")


@pytest.fixture
def debug_page_client(client, owner, settings):
    """The test client of a member, seeing Django's DEBUG error page instead of an exception."""
    settings.DEBUG = True
    client.raise_request_exception = False
    client.force_login(owner)
    return client


@pytest.mark.parametrize("auth_method", ["token", "password"])
def test_the_debug_page_of_a_crashing_serwersms_client_shows_no_secret(
    auth_method, tenant, debug_page_client, monkeypatch
):
    if auth_method == "token":
        SerwerSmsAccount.objects.create(
            tenant=tenant, auth_method=SerwerSmsAccount.AuthMethod.TOKEN, api_token=TOKEN, base_url=BASE
        )
    else:
        SerwerSmsAccount.objects.create(
            tenant=tenant,
            auth_method=SerwerSmsAccount.AuthMethod.API_USER,
            api_username="webapi_crash",
            api_password=API_PASSWORD,
            base_url=BASE,
        )
    monkeypatch.setattr("sms.client.load_json", _crash)
    with responses.RequestsMock() as mock:
        mock.post(f"{BASE}/subaccounts/index.json", json={"items": []})
        response = debug_page_client.post(reverse("sms:account-test", args=[tenant.slug]))
    page = response.content.decode()
    assert response.status_code == 500 and "the client met an answer it did not expect" in page
    assert "Traceback" in page and "Local vars" in page  # the page that could leak, really rendered
    secret = TOKEN if auth_method == "token" else API_PASSWORD
    assert [piece for piece in pieces(secret) if piece in page] == []


def test_the_debug_page_of_a_crashing_premium_client_shows_no_key(tenant, debug_page_client, monkeypatch):
    PremiumAccount.objects.create(tenant=tenant, email="biuro@firma.pl", api_key=API_KEY, base_url=BASE)
    monkeypatch.setattr("premium.client.load_json", _crash)
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/api/account/balance", json={"status": 1})
        response = debug_page_client.post(
            reverse("premium:account-test", args=[tenant.slug]), {"api_key": API_KEY}
        )
    page = response.content.decode()
    assert response.status_code == 500 and "Local vars" in page
    assert [piece for piece in pieces(API_KEY) if piece in page] == []


def test_a_password_posted_to_a_crashing_view_is_masked(tenant, debug_page_client, monkeypatch):
    monkeypatch.setattr("accounts.views.TenantSettingsForm", _crash)
    response = debug_page_client.post(
        reverse("tenant-settings", args=[tenant.slug]), {"name": "x", "api_password": API_PASSWORD}
    )
    assert response.status_code == 500
    assert API_PASSWORD not in response.content.decode()


def test_a_password_in_a_setting_url_is_masked():
    from config.error_reports import SecretsFilter

    cleansed = SecretsFilter().cleanse_setting("CELERY_BROKER_URL", "redis://:Broker-Pass-77@redis:6379/0")
    assert (
        "Broker-Pass-77" not in cleansed and cleansed.startswith("redis://:") and "@redis:6379/0" in cleansed
    )
