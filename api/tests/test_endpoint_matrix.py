"""Every endpoint, walked from the routers like the role matrix walks the tenant URLs: a revoked or
expired token gets 401, a token below the endpoint's role 403 (before its body is read), and another
tenant's token 404 for an object of this tenant."""

from __future__ import annotations

import inspect
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from api.tests.conftest import ApiClient, make_token
from api.tests.test_schema import endpoints
from premium.models import Invoice, PremiumNumber
from sms.models import Subaccount
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    CallHistoryReport,
    CallRecord,
    PhoneBook,
    PhoneBookEntry,
    SmsBatch,
    TtsAnnouncement,
)

pytestmark = pytest.mark.django_db

ENDPOINTS = endpoints()
IDS = [f"{method} {path}" for method, path, _view in ENDPOINTS]
# Valid bodies, so that a request gets as far as looking up the object of its URL.
BODIES = {
    "put /api/v1/premium/numbers/{number}/redirect": {"target": "601123456"},
    "put /api/v1/sms/subaccounts/{subaccount_id}/limits/{message_type}": {"value": 1},
    "post /api/v1/spikon/phonebooks/{book_id}/entries": {"name": "Jan", "number": "601123456"},
    "put /api/v1/spikon/callcenter/agents/{agent_id}/{direction}/{campaign_id}": {"member": True},
    "put /api/v1/spikon/callcenter/agents/{agent_id}/default-outgoing": {"campaign_id": 1},
}


@pytest.fixture
def objects(tenant) -> dict[str, object]:
    """One object of the tenant for each kind of id in the API's paths."""
    book = PhoneBook.objects.create(tenant=tenant, provider_id=7001, name="Matrix")
    return {
        "number": PremiumNumber.objects.create(tenant=tenant, number="708000001", tariff=5).number,
        "invoice_id": Invoice.objects.create(
            tenant=tenant, provider_id=1, title="FV 1", amount_net=1, paid=True, issued_at=timezone.now()
        ).pk,
        "subaccount_id": Subaccount.objects.create(tenant=tenant, provider_id=9001, login="matrix").pk,
        "message_type": "eco",
        "book_id": book.pk,
        "entry_id": PhoneBookEntry.objects.create(
            tenant=tenant, book=book, provider_id=1, name="Jan", number="601123456"
        ).pk,
        "batch_id": SmsBatch.objects.create(tenant=tenant, sender="2way", text="x").pk,
        "report_id": CallHistoryReport.objects.create(
            tenant=tenant, provider_report_id=1, direction=2, date_start=date.today(), date_end=date.today()
        ).pk,
        "call_id": CallRecord.objects.create(
            tenant=tenant,
            started_at=timezone.now(),
            source="601123456",
            destination="602123456",
            duration_seconds=5,
            state="Odebrane",
            has_recording=True,
            recording_url="https://example.invalid/r.mp3",
        ).public_id,
        "announcement_id": TtsAnnouncement.objects.create(tenant=tenant, name="Matrix", provider_id=1).pk,
        "audio_format": "mp3",
        "agent_id": CallCenterAgent.objects.create(tenant=tenant, provider_id=1, name="Agent").pk,
        "campaign_id": CallCenterCampaign.objects.create(tenant=tenant, provider_id=1, name="Kampania").pk,
        "direction": "incoming",
    }


def send(api: ApiClient, method: str, path: str, objects: dict[str, object]):
    url = re.sub(r"\{(\w+)\}", lambda match: str(objects[match.group(1)]), path).removeprefix("/api/v1")
    body = BODIES.get(f"{method} {path}")
    if method == "get":
        return api.get(url)
    if method == "delete":
        return api.delete(url, key="matrix")
    return getattr(api, method)(url, body, key="matrix")


@pytest.mark.parametrize(("method", "path", "view"), ENDPOINTS, ids=IDS)
def test_revoked_and_expired_tokens_get_401(method, path, view, tenant, owner, objects):
    _revoked, revoked_text = make_token(tenant, owner, Role.ADMIN)
    _revoked.revoked_at = timezone.now()
    _revoked.save()
    _expired, expired_text = make_token(
        tenant, owner, Role.ADMIN, expires_at=timezone.now() - timedelta(minutes=1)
    )
    for text in (revoked_text, expired_text):
        response = send(ApiClient(text), method, path, objects)
        assert response.status_code == 401, f"{method} {path}: {response.status_code}"
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "view"), ENDPOINTS, ids=IDS)
def test_roles_below_the_endpoints_get_403(method, path, view, tenant, api_as, objects):
    for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN):
        status = send(api_as(role), method, path, objects).status_code
        if role < view.min_role:
            assert status == 403, f"{role.label} must get 403 at {method} {path}, got {status}"
        else:
            assert status not in (401, 403) and status < 500, f"{role.label} at {method} {path}: {status}"


OBJECT_ENDPOINTS = [(m, p, v) for m, p, v in ENDPOINTS if "{" in p]


@pytest.mark.parametrize(
    ("method", "path", "view"), OBJECT_ENDPOINTS, ids=[f"{m} {p}" for m, p, _v in OBJECT_ENDPOINTS]
)
def test_another_tenants_token_gets_404(method, path, view, api_as, objects):
    response = send(api_as("outsider"), method, path, objects)
    assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.content[:200]}"
    assert response.json()["type"].endswith("/not-found")


PAGED = [(m, p, v) for m, p, v in ENDPOINTS if m == "get" and "limit" in inspect.signature(v).parameters]


@pytest.mark.parametrize(("method", "path", "view"), PAGED, ids=[f"{m} {p}" for m, p, _v in PAGED])
def test_lists_name_a_bad_page_size_or_cursor(method, path, view, api_as, objects):
    url = re.sub(r"\{(\w+)\}", lambda match: str(objects[match.group(1)]), path).removeprefix("/api/v1")
    api = api_as(Role.VIEWER)
    for params, field in (({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"cursor": "%%"}, "cursor")):
        response = api.get(url, **params)
        assert response.status_code == 422, f"{path} {params}: {response.status_code}"
        assert response.json()["errors"][0]["field"] == field
