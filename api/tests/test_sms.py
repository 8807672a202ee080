"""SerwerSMS.pl endpoints against the sandbox over HTTP."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, Role
from api.tests.conftest import provider_calls
from providers.once import ActionRecord
from sms.models import Subaccount, SubaccountLimit
from tests.providers import SMS_TEMPLATE_ID

pytestmark = pytest.mark.django_db

NEW = {"login": "nowy.api", "password": "Haslo-123", "name": "Nowy", "phone": "500600700", "email": ""}


def template(tenant) -> Subaccount:
    return Subaccount.objects.get(tenant=tenant, provider_id=SMS_TEMPLATE_ID)


def some_subaccount(tenant) -> Subaccount:
    return Subaccount.objects.filter(tenant=tenant).exclude(provider_id=SMS_TEMPLATE_ID).first()


def test_list_pages_and_searches(api_as, providers, tenant):
    api = api_as(Role.VIEWER)
    first = api.get("/sms/subaccounts", limit=2).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get("/sms/subaccounts", limit=50, cursor=first["next_cursor"]).json()
    assert len(first["items"]) + len(rest["items"]) == Subaccount.objects.filter(tenant=tenant).count()
    found = api.get("/sms/subaccounts", q="wojtek").json()["items"]
    assert [row["login"] for row in found] == ["wojtek"]


def test_one_subaccount_with_its_limits(api_as, providers, tenant):
    subaccount = some_subaccount(tenant)
    body = api_as(Role.VIEWER).get(f"/sms/subaccounts/{subaccount.pk}").json()
    assert body["login"] == subaccount.login
    assert [limit["message_type"] for limit in body["limits"]] == ["eco", "full", "voice", "mms", "hlr"]


def test_another_tenants_subaccount_is_not_found(api_as, providers, tenant):
    subaccount = some_subaccount(tenant)
    outsider = api_as("outsider")
    assert outsider.get(f"/sms/subaccounts/{subaccount.pk}").status_code == 404
    assert outsider.put(f"/sms/subaccounts/{subaccount.pk}/limits/eco", {"value": 5}).status_code == 404
    assert outsider.delete(f"/sms/subaccounts/{subaccount.pk}").status_code == 404
    assert Subaccount.objects.filter(pk=subaccount.pk).exists()


def test_set_a_limit(api_as, providers, tenant):
    subaccount = some_subaccount(tenant)
    mark = providers.mark()
    response = api_as(Role.ADMIN).put(f"/sms/subaccounts/{subaccount.pk}/limits/eco", {"value": 250})
    assert response.status_code == 200, response.content
    assert response.json()["limits"][0]["value"] == 250
    assert SubaccountLimit.objects.get(subaccount=subaccount, message_type="eco").value == 250
    assert len(provider_calls(providers, mark, "sms", "limit")) == 1
    event = AuditEvent.objects.get(tenant=tenant, action="sms.subaccount.limit")
    assert "API token" in event.username


def test_limits_need_an_admin_and_a_known_type(api_as, providers, tenant):
    subaccount = some_subaccount(tenant)
    assert (
        api_as(Role.OPERATOR).put(f"/sms/subaccounts/{subaccount.pk}/limits/eco", {"value": 1}).status_code
        == 403
    )
    refused = api_as(Role.ADMIN).put(f"/sms/subaccounts/{subaccount.pk}/limits/sms", {"value": 1})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "message_type"
    negative = api_as(Role.ADMIN).put(f"/sms/subaccounts/{subaccount.pk}/limits/eco", {"value": -1})
    assert negative.status_code == 422 and negative.json()["errors"][0]["field"] == "value"


def test_delete(api_as, providers, tenant):
    subaccount = some_subaccount(tenant)
    assert api_as(Role.OPERATOR).delete(f"/sms/subaccounts/{subaccount.pk}").status_code == 403
    response = api_as(Role.ADMIN).delete(f"/sms/subaccounts/{subaccount.pk}")
    assert response.status_code == 204
    assert not Subaccount.objects.filter(pk=subaccount.pk).exists()
    assert AuditEvent.objects.filter(tenant=tenant, action="sms.subaccount.delete").exists()


def test_create_twice_with_one_key_creates_once(api_as, providers, tenant):
    api = api_as(Role.ADMIN)
    body = {**NEW, "template_id": template(tenant).pk}
    mark = providers.mark()
    first = api.post("/sms/subaccounts", body, key="new-sub-1")
    again = api.post("/sms/subaccounts", body, key="new-sub-1")
    assert first.status_code == 201, first.content
    assert first.json()["login"] == "nowy.api" and "password" not in first.json()
    assert again.status_code == 201 and again.json() == first.json()
    assert len(provider_calls(providers, mark, "sms", "subaccounts/add")) == 1
    records = ActionRecord.objects.filter(tenant=tenant)
    assert records.exists()
    assert all("Haslo-123" not in f"{record.outcome} {record.fingerprint}" for record in records)


def test_create_refuses_bad_input_naming_the_field(api_as, providers, tenant):
    api = api_as(Role.ADMIN)
    mark = providers.mark()
    bad_login = api.post(
        "/sms/subaccounts", {**NEW, "login": "a", "template_id": template(tenant).pk}, key="x1"
    )
    assert bad_login.status_code == 422 and bad_login.json()["errors"][0]["field"] == "login"
    foreign = api.post("/sms/subaccounts", {**NEW, "template_id": 999999}, key="x2")
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "template_id"
    assert provider_calls(providers, mark, "sms", "subaccounts/add") == []


def test_create_needs_an_admin(api_as, providers, tenant):
    response = api_as(Role.OPERATOR).post(
        "/sms/subaccounts", {**NEW, "template_id": template(tenant).pk}, key="k"
    )
    assert response.status_code == 403
