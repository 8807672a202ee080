"""Fixtures every app's tests share: a tenant with one member of each role, and an outsider."""

from __future__ import annotations

import os

import pytest

from accounts.models import Membership, Role, Tenant, User

# Playwright's sync API runs an event loop in the test thread; live_server tests touch the ORM from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-9"


def make_member(tenant: Tenant, username: str, role: Role) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com")
    Membership.objects.create(user=user, tenant=tenant, role=role)
    return user


@pytest.fixture
def tenant(db) -> Tenant:
    return Tenant.objects.create(slug="acme", name="Acme Telecom")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return Tenant.objects.create(slug="rival", name="Rival Sp. z o.o.")


@pytest.fixture
def owner(tenant) -> User:
    return make_member(tenant, "olga-owner", Role.OWNER)


@pytest.fixture
def tenant_admin(tenant) -> User:
    return make_member(tenant, "adam-admin", Role.ADMIN)


@pytest.fixture
def operator(tenant) -> User:
    return make_member(tenant, "ola-operator", Role.OPERATOR)


@pytest.fixture
def viewer(tenant) -> User:
    return make_member(tenant, "wiktor-viewer", Role.VIEWER)


@pytest.fixture
def outsider(other_tenant) -> User:
    """The owner of another tenant: logged in, powerful elsewhere, a stranger here."""
    return make_member(other_tenant, "obcy-outsider", Role.OWNER)


@pytest.fixture
def members(owner, tenant_admin, operator, viewer) -> dict[Role, User]:
    return {Role.OWNER: owner, Role.ADMIN: tenant_admin, Role.OPERATOR: operator, Role.VIEWER: viewer}


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user."""

    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords; tests need none of it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
