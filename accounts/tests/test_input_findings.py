"""Input that used to end in a server error: dates past the calendar's useful range, and a provider's
answer nested too deeply to parse."""

from __future__ import annotations

import pytest
import responses
from django.urls import reverse

from premium.models import PremiumAccount
from sms.models import SerwerSmsAccount

FAR_DATES = ["9999-12-31", "0001-01-01", "1000-01-01"]


@pytest.mark.parametrize("value", FAR_DATES)
@pytest.mark.parametrize(
    ("url_name", "field"),
    [
        ("audit-log", "date_to"),
        ("audit-log", "date_from"),
        ("spikon:history", "date_to"),
        ("spikon:history", "date_from"),
        ("spikon:history-export", "date_to"),
        ("premium:billing", "date_to"),
    ],
)
def test_a_date_outside_the_useful_range_is_a_form_error(url_name, field, value, tenant, owner, client):
    client.force_login(owner)
    response = client.get(reverse(url_name, kwargs={"tenant_slug": tenant.slug}), {field: value})
    assert response.status_code in (200, 400), (url_name, field, value, response.status_code)
    if url_name == "audit-log":
        assert "Podaj datę" in response.text


NESTED = "[" * 100_000 + "]" * 100_000
BASE = "https://provider.test"


@pytest.mark.parametrize("provider", ["premium", "sms"])
def test_a_provider_answer_nested_too_deeply_is_unreadable_not_a_server_error(
    provider, tenant, owner, client
):
    if provider == "premium":
        PremiumAccount.objects.create(tenant=tenant, email="a@b.pl", api_key="k" * 20, base_url=BASE)
        url, method, path = reverse("premium:account-test", args=[tenant.slug]), "GET", "/api/account/balance"
    else:
        SerwerSmsAccount.objects.create(
            tenant=tenant, auth_method=SerwerSmsAccount.AuthMethod.TOKEN, api_token="t" * 20, base_url=BASE
        )
        url, method, path = reverse("sms:account-test", args=[tenant.slug]), "POST", "/subaccounts/index.json"
    client.force_login(owner)
    with responses.RequestsMock() as mock:
        mock.add(method, BASE + path, body=NESTED, content_type="application/json")
        response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    # An unreadable answer, said as such: "not JSON" in the provider's words of the error notice.
    assert "nie dała się odczytać" in response.text and "JSON" in response.text
