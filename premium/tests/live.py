"""A seeded Numery-Premium.PL sandbox on a loopback port and a tenant's account pointing at it.

Shared by the app's fixtures (conftest.py) and the browser tests in tests/e2e.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from accounts.models import Tenant
from premium.models import PremiumAccount
from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL, PremiumSandbox
from provider_api.wsgi_server import serve_in_thread


@contextmanager
def served_sandbox() -> Iterator[tuple[PremiumSandbox, str]]:
    sandbox = PremiumSandbox(DEMO_EMAIL, DEMO_API_KEY)
    sandbox.seed_demo()
    with serve_in_thread(sandbox) as url:
        yield sandbox, url


def account_at(tenant: Tenant, url: str) -> PremiumAccount:
    return PremiumAccount.objects.create(tenant=tenant, email=DEMO_EMAIL, api_key=DEMO_API_KEY, base_url=url)
