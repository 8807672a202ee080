"""Fixtures of the SPIKON tests: a seeded sandbox served over real HTTP, and the tenant's account on it."""

from __future__ import annotations

import pytest

from provider_api.wsgi_server import serve_in_thread
from spikon.models import SpikonAccount
from spikon.sandbox import DEMO_API_KEY, SpikonSandbox


@pytest.fixture
def sandbox() -> SpikonSandbox:
    """The demo-seeded sandbox (phone accounts, three phonebooks, calls...), to inspect or steer in a test."""
    app = SpikonSandbox(DEMO_API_KEY)
    app.seed_demo()
    # A "timeout" fault sleeps this long; the tests' client read timeout is shorter (see fast_timeouts).
    app.fault_timeout_seconds = 3.0
    return app


@pytest.fixture
def sandbox_url(sandbox) -> str:
    with serve_in_thread(sandbox) as url:
        yield url


@pytest.fixture
def spikon_account(tenant, sandbox_url) -> SpikonAccount:
    """The tenant's SPIKON account, pointing at the sandbox over HTTP with the demo key."""
    return SpikonAccount.objects.create(tenant=tenant, api_key=DEMO_API_KEY, base_url=sandbox_url)


@pytest.fixture
def fast_timeouts(monkeypatch):
    """Short client timeouts, so that a sandbox "timeout" fault ends a call within a second."""
    from providers import accounts
    from spikon import tasks

    monkeypatch.setattr(accounts, "IN_REQUEST_TIMEOUT", (2.0, 1.0))
    for module in (accounts, tasks):
        monkeypatch.setattr(module, "BACKGROUND_TIMEOUT", (2.0, 1.0))


@pytest.fixture
def media_root(settings, tmp_path, monkeypatch):
    """Stored audio (recordings, announcements) goes to a folder of this test, for this process and for a
    worker started after it."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def english_pages(client):
    """Pages in English, so that tests read the msgids; the Polish pages are checked on their own."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
