"""Everything a provider says goes through the one redaction before it is shown, logged, stored or audited:
the account's secrets whole, any run of six or more of their characters, and a just-chosen password."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, SyncStatus
from premium.client import PremiumClient
from provider_api.errors import ProviderError
from provider_api.http import HttpTransport
from provider_api.wsgi_server import serve_in_thread
from sms.client import SerwerSmsClient
from sms.models import SerwerSmsAccount, Subaccount
from sms.tasks import sync_subaccounts
from spikon.client import SpikonClient

KEY = "Qx7-ABCDEFGHIJKLMNOPQRSTUVWXYZ-4242"
ECHOED = KEY[4:18]  # a 14-character run of the key, as a provider may repeat it
PASSWORD = "Nowe-Haslo-2026"


def answering(status: int, body: dict):
    """A provider that answers every request with `body`."""

    def app(environ, start_response):
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return app


def transport(url: str, provider: str) -> HttpTransport:
    return HttpTransport(url, provider=provider, secrets=(KEY,), retries=0)


def provider_words(call) -> str:
    with pytest.raises(ProviderError) as caught:
        call()
    return f"{caught.value} {caught.value.describe()} {caught.value.provider_message} {caught.value.detail}"


def assert_redacted(text: str) -> None:
    assert ECHOED not in text and KEY not in text and "***" in text


def test_the_numery_premium_client_masks_a_run_of_its_key():
    with serve_in_thread(answering(401, {"message": f"Zły klucz {ECHOED}…"})) as url:
        client = PremiumClient("a@b.pl", KEY, transport=transport(url, "Numery-Premium.PL"))
        assert_redacted(provider_words(client.balance))


def test_the_spikon_client_masks_a_run_of_its_key():
    body = {"error": {"id": "-2", "name": "Wrong api_key", "desc": f"key {ECHOED}… unknown"}}
    with serve_in_thread(answering(200, body)) as url:
        client = SpikonClient(KEY, base_url=url, transport=transport(url, "SPIKON"))
        assert_redacted(provider_words(client.balance))


def test_the_serwersms_client_masks_its_token_and_a_run_of_it():
    body = {"error": {"code": 1001, "type": "InvalidUser", "message": f"Token {KEY} ({ECHOED}) nieznany"}}
    with serve_in_thread(answering(200, body)) as url:
        client = SerwerSmsClient(token=KEY, transport=transport(url, "SerwerSMS.pl"))
        assert_redacted(provider_words(client.index))


def test_the_serwersms_client_masks_a_chosen_password_the_provider_repeats():
    body = {"error": {"code": 1006, "type": "InvalidData", "message": f"Hasło {PASSWORD} jest za słabe"}}
    with serve_in_thread(answering(200, body)) as url:
        client = SerwerSmsClient(token=KEY, transport=transport(url, "SerwerSMS.pl"))
        words = provider_words(
            lambda: client.add(subaccount_username="nowe", subaccount_password=PASSWORD, subaccount_id=1)
        )
    assert PASSWORD not in words and "Haslo-20" not in words and "***" in words


@pytest.fixture
def echoing_sms_account(tenant):
    body = {"error": {"code": 1001, "type": "InvalidUser", "message": f"Token {KEY} ({ECHOED}) nieznany"}}
    with serve_in_thread(answering(200, body)) as url:
        yield SerwerSmsAccount.objects.create(tenant=tenant, api_token=KEY, base_url=url)


def test_a_serwersms_error_repeating_the_token_is_stored_and_shown_redacted(
    echoing_sms_account, login, tenant, viewer, tenant_admin
):
    sync_subaccounts(tenant.pk, "subaccounts")

    status = SyncStatus.objects.get(tenant=tenant, provider="sms", resource="subaccounts")
    assert status.last_error and ECHOED not in status.last_error and KEY not in status.last_error
    sync_line = login(viewer).get(reverse("sms:index", kwargs={"tenant_slug": tenant.slug})).text
    assert "nieznany" in sync_line and ECHOED not in sync_line
    tested = login(tenant_admin).post(
        reverse("sms:account-test", kwargs={"tenant_slug": tenant.slug}), follow=True
    )
    assert "nieznany" in tested.text and ECHOED not in tested.text and KEY not in tested.text


def test_a_provider_message_repeating_a_new_subaccounts_password_is_audited_redacted(
    tenant, login, tenant_admin
):
    body = {"error": {"code": 1006, "type": "InvalidData", "message": f"Hasło {PASSWORD} jest za słabe"}}
    with serve_in_thread(answering(200, body)) as url:
        SerwerSmsAccount.objects.create(tenant=tenant, api_token=KEY, base_url=url)
        template = Subaccount.objects.create(tenant=tenant, provider_id=1194, login="szablon")
        client = login(tenant_admin)
        create_url = reverse("sms:subaccount-create", kwargs={"tenant_slug": tenant.slug})
        form = client.get(create_url)
        key = form.context["form"].initial["form_token"]
        response = client.post(
            create_url,
            {"form_token": key, "template": template.pk, "login": "nowe.konto", "password": PASSWORD},
        )

    assert response.status_code == 422 and PASSWORD not in response.text
    event = AuditEvent.objects.get(action="sms.subaccount.create")
    assert event.outcome == "failure" and "za słabe" in event.message
    assert PASSWORD not in event.message and "Haslo-20" not in event.message
