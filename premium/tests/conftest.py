"""A seeded Numery-Premium.PL sandbox served over real HTTP, and the tenant's account pointing at it."""

from __future__ import annotations

import pytest

from premium.models import PremiumAccount
from premium.tests.live import account_at, served_sandbox


@pytest.fixture
def served():
    with served_sandbox() as (sandbox, url):
        yield sandbox, url


@pytest.fixture
def sandbox(served):
    return served[0]


@pytest.fixture
def sandbox_url(served) -> str:
    return served[1]


@pytest.fixture
def premium_account(tenant, sandbox_url) -> PremiumAccount:
    return account_at(tenant, sandbox_url)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Stored invoices go to this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
