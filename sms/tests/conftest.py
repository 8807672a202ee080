"""A seeded SerwerSMS.pl sandbox served over real HTTP, and the tenant's account pointing at it."""

from __future__ import annotations

import pytest

from provider_api.wsgi_server import serve_in_thread
from providers import accounts as provider_accounts
from sms.models import SerwerSmsAccount
from sms.sandbox import DEMO_PASSWORD, DEMO_TOKEN, DEMO_USERNAME, SerwerSmsSandbox
from sms.sync import sync_subaccounts


@pytest.fixture(scope="session")
def sandbox_server():
    """One loopback server for the session; each test mounts its own fresh sandbox on it."""
    mounted: dict[str, SerwerSmsSandbox] = {}

    def app(environ, start_response):
        return mounted["app"](environ, start_response)

    with serve_in_thread(app) as url:
        yield url, mounted


@pytest.fixture
def sandbox(sandbox_server) -> SerwerSmsSandbox:
    sandbox = SerwerSmsSandbox(DEMO_TOKEN, DEMO_USERNAME, DEMO_PASSWORD)
    sandbox.seed_demo()
    sandbox.fault_timeout_seconds = 1.0
    sandbox_server[1]["app"] = sandbox
    return sandbox


@pytest.fixture
def sandbox_url(sandbox_server, sandbox) -> str:
    # Under a prefix, as the demo mounts it.
    return f"{sandbox_server[0]}/sms"


@pytest.fixture
def login(login, settings):
    """The root `login`, with pages in English so that assertions read the msgids (Polish is checked apart)."""

    def _login(user):
        client = login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _login


@pytest.fixture(autouse=True)
def _short_request_timeout(monkeypatch):
    """A page waits 0.5 s for an answer here, so the sandbox's 1 s "timeout" fault is a real timeout."""
    monkeypatch.setattr(provider_accounts, "IN_REQUEST_TIMEOUT", (2.0, 0.5))


@pytest.fixture
def sms_account(tenant, sandbox_url) -> SerwerSmsAccount:
    return SerwerSmsAccount.objects.create(
        tenant=tenant,
        auth_method=SerwerSmsAccount.AuthMethod.TOKEN,
        api_token=DEMO_TOKEN,
        base_url=sandbox_url,
    )


@pytest.fixture
def synced(sms_account) -> SerwerSmsAccount:
    """The account with its subaccount list synced from the sandbox."""
    sync_subaccounts(sms_account.tenant_id)
    return sms_account
