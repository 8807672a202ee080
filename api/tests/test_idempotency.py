"""Idempotency-Key on the act-once record: a lost answer is never sent again, a key still in use is
409, a request refused by our checks frees its key, and keys belong to their token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from api.tests.conftest import provider_calls
from providers.once import ActionRecord
from tests.faults import use_short_timeouts

pytestmark = pytest.mark.django_db

ADD_NUMBER = "/api/prm/voice/addNumber/5"


def test_a_lost_answer_is_replayed_as_unknown_and_never_sent_again(monkeypatch, api_as, providers, tenant):
    use_short_timeouts(monkeypatch)
    providers.premium.fault_timeout_seconds = 0.5
    providers.premium.set_fault(ADD_NUMBER, "timeout")
    api = api_as(Role.ADMIN)
    mark = providers.mark()
    first = api.post("/premium/numbers", {"tariff": 5}, key="lost-1")
    assert first.status_code == 503
    assert first.json()["type"].endswith("/outcome-unknown")
    assert first.json()["provider"]["name"]
    providers.premium.clear_faults()
    again = api.post("/premium/numbers", {"tariff": 5}, key="lost-1")
    assert again.status_code == 503 and again["Idempotent-Replayed"] == "true"
    assert len(provider_calls(providers, mark, "premium", "addNumber")) == 1
    assert (
        ActionRecord.objects.get(tenant=tenant, kind="premium.number.buy").state == ActionRecord.State.UNKNOWN
    )


def test_a_key_still_in_use_is_409(api_as, providers, tenant):
    api = api_as(Role.ADMIN)
    mark = providers.mark()
    assert api.post("/premium/numbers", {"tariff": 5}, key="busy").status_code == 201
    # As if the first request were still waiting for the provider:
    ActionRecord.objects.filter(tenant=tenant, kind="premium.number.buy").update(
        state=ActionRecord.State.ACTING, outcome={}
    )
    busy = api.post("/premium/numbers", {"tariff": 5}, key="busy")
    assert busy.status_code == 409
    assert busy.json()["type"].endswith("/idempotency-key-in-use") and busy["Retry-After"] == "1"
    assert len(provider_calls(providers, mark, "premium", "addNumber")) == 1


def test_a_first_request_that_died_while_acting_is_of_unknown_outcome(api_as, providers, tenant):
    api = api_as(Role.ADMIN)
    mark = providers.mark()
    assert api.post("/premium/numbers", {"tariff": 5}, key="died").status_code == 201
    # As if the process had died waiting for the provider, three minutes ago:
    ActionRecord.objects.filter(tenant=tenant, kind="premium.number.buy").update(
        state=ActionRecord.State.ACTING, outcome={}, created_at=timezone.now() - timedelta(minutes=3)
    )
    again = api.post("/premium/numbers", {"tariff": 5}, key="died")
    assert again.status_code == 503 and again.json()["type"].endswith("/outcome-unknown")
    assert len(provider_calls(providers, mark, "premium", "addNumber")) == 1


def test_a_request_refused_by_our_checks_frees_its_key(api_as, providers):
    api = api_as(Role.ADMIN)
    assert api.post("/premium/numbers", {"tariff": 3}, key="retry").status_code == 422
    assert api.post("/premium/numbers", {"tariff": 5}, key="retry").status_code == 201


def test_keys_belong_to_their_token(api_as, providers):
    mark = providers.mark()
    assert api_as(Role.ADMIN).post("/premium/numbers", {"tariff": 5}, key="same").status_code == 201
    assert api_as(Role.ADMIN).post("/premium/numbers", {"tariff": 5}, key="same").status_code == 201
    assert len(provider_calls(providers, mark, "premium", "addNumber")) == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 41, "zażółć"])
def test_a_bad_key_is_refused(api_as, providers, key):
    response = api_as(Role.ADMIN).post("/premium/numbers", {"tariff": 5}, key=key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
