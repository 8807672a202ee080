"""Fixtures of the API tests: tokens for each role, a client that sends one, and the three sandboxes
over loopback HTTP with the tenant's accounts on them and the local copy synced."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from accounts.models import Role, Tenant, User
from api.models import ApiToken
from premium import tasks as premium_tasks
from premium.sync import billing_resource, current_month
from sms import tasks as sms_tasks
from tests.providers import Providers, connect, served_providers, sync_everything


class ApiClient:
    """The Django test client with a Bearer token on every request."""

    def __init__(self, token: str, language: str = "en") -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def _send(self, method: str, path: str, body: dict | None, key: str | None):
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        send = getattr(self.client, method)
        return send(f"/api/v1{path}", body or {}, content_type="application/json", headers=headers)

    def post(self, path: str, body: dict | None = None, *, key: str | None = None):
        return self._send("post", path, body, key)

    def put(self, path: str, body: dict | None = None, *, key: str | None = None):
        return self._send("put", path, body, key)

    def delete(self, path: str, *, key: str | None = None):
        return self._send("delete", path, None, key)


def make_token(tenant: Tenant, user: User, role: Role, **kwargs) -> tuple[ApiToken, str]:
    return ApiToken.issue(
        tenant=tenant, name=f"{Role(role).label} script", role=role, created_by=user, **kwargs
    )


@pytest.fixture
def api_as(tenant, owner, tenant_admin, operator, viewer, outsider, other_tenant):
    """api_as(role) -> an ApiClient whose token acts with that role in the tenant; api_as("outsider"):
    an admin token of another tenant."""

    def _api_as(role: Role | str, language: str = "en") -> ApiClient:
        if role == "outsider":
            return ApiClient(make_token(other_tenant, outsider, Role.ADMIN)[1], language)
        creator = {Role.VIEWER: viewer, Role.OPERATOR: operator, Role.ADMIN: tenant_admin}[role]
        return ApiClient(make_token(tenant, creator, role)[1], language)

    return _api_as


@pytest.fixture
def providers(tenant) -> Iterator[Providers]:
    """The three sandboxes on loopback, the tenant's accounts on them, Numery-Premium and SerwerSMS synced."""
    with served_providers() as served:
        connect(tenant, served)
        for resource in ("numbers", "balance", "wallet", "invoices"):
            getattr(premium_tasks, f"sync_{resource}")(tenant.pk, resource)
        premium_tasks.sync_billing(tenant.pk, billing_resource(*current_month()))
        sms_tasks.sync_subaccounts(tenant.pk, "subaccounts")
        yield served


@pytest.fixture
def all_synced(tenant) -> Iterator[Providers]:
    """As `providers`, with every sync of the three apps run and a SPIKON call-history report stored."""
    with served_providers() as served:
        connect(tenant, served)
        sync_everything(tenant)
        yield served


def provider_calls(providers: Providers, mark: dict[str, int], provider: str, path_part: str) -> list:
    """What `provider` received after `mark` whose path contains `path_part`."""
    return [
        request
        for name, request in providers.received_since(mark)
        if name == provider and path_part in request.path
    ]
