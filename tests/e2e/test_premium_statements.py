"""A PDF statement in the browser, made by a real worker: ask on the billing page, watch the list update
in place until it is ready, download it and find every call in it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Role, Tenant
from conftest import make_member
from premium import client as api
from premium import sync as premium_sync
from premium.models import Statement
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.worker]

YEAR, MONTH = 2025, 6


@pytest.fixture
def media_root(settings, tmp_path, monkeypatch):
    """Statements stored by the worker and served by the live server come from this test's folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)


@pytest.fixture
def billed_tenant(transactional_db):
    tenant = Tenant.objects.create(slug="statements", name="Łączność Zażółć")
    start = datetime(YEAR, MONTH, 3, 9, tzinfo=premium_sync.WARSAW)
    calls = [
        api.Call(
            i, f"60100{i:04d}", "708000001", start + timedelta(minutes=7 * i), None,
            start + timedelta(minutes=7 * i), 4, 0, "BUSY", Decimal(0), "512345678",
        )
        for i in range(1, 31)
    ]  # fmt: skip
    premium_sync.save_calls(tenant.pk, calls)
    return tenant, calls


def test_ask_for_a_statement_watch_it_get_ready_and_download_it(
    media_root, live_server, watched_page, billed_tenant, real_worker
):
    tenant, calls = billed_tenant
    page = watched_page
    log_in(page, live_server, make_member(tenant, "wiktoria-viewer", Role.VIEWER))

    page.goto(f"{live_server.url}/t/{tenant.slug}/premium/billing/?year={YEAR}&month={MONTH}")
    page.get_by_role("button", name="Zestawienie PDF").click()
    page.wait_for_url("**/premium/billing/statements/")
    expect(page.locator(".notice").first).to_contain_text("Zestawienie PDF jest przygotowywane")

    # The list refreshes itself until the worker has made the statement, then stops.
    statement_row = page.locator("#statement-list tbody tr").first
    expect(statement_row).to_contain_text("gotowe", timeout=30_000)
    expect(page.locator("#statement-list")).not_to_have_attribute("hx-trigger", "every 2s")
    statement = Statement.objects.get(tenant=tenant)
    assert (statement.state, statement.calls) == (Statement.State.READY, 30)
    expect(statement_row.locator("td.numeric").first).to_have_text("30")

    with page.expect_download() as download:
        statement_row.get_by_role("link", name="Pobierz").click()
    assert download.value.suggested_filename == f"statement-{tenant.slug}-{YEAR}-{MONTH:02d}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Łączność Zażółć" in text and "Podsumowanie według numerów" in text
    for call in calls:
        assert call.start.strftime("%Y-%m-%d %H:%M:%S") in text
