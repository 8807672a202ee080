"""A PDF statement in the browser, made by a real worker: ask on the billing page, watch the list update
in place until it is ready, download it and find every call in it."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Role, Tenant
from conftest import make_member
from premium import client as api
from premium import sync as premium_sync
from premium.models import Statement
from tests.e2e.conftest import log_in
from tests.e2e.test_every_page_fits import LAYOUT_PROBLEMS
from tests.faults import recording_queued_tasks

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


def test_asking_twice_leads_to_the_one_being_made_and_every_state_fits(
    media_root, live_server, watched_page, billed_tenant, monkeypatch
):
    """No worker here: the statement asked for stays queued. The list shows each state readably at both
    widths (with SCREENSHOTS=<folder>, the billing and statements pages are saved there)."""
    tenant, _calls = billed_tenant
    member = make_member(tenant, "wiktoria-viewer", Role.VIEWER)
    Statement.objects.create(
        tenant=tenant, year=YEAR, month=MONTH, requested_by=member, number="708000001",
        state=Statement.State.RENDERING, calls=40_000, calls_done=12_000, pages=310,
    )  # fmt: skip
    Statement.objects.create(
        tenant=tenant, year=YEAR, month=MONTH - 1, requested_by=member, state=Statement.State.READY,
        calls=1_234, calls_done=1_234, pages=12,
    )  # fmt: skip
    Statement.objects.create(
        tenant=tenant, year=YEAR, month=MONTH - 2, state=Statement.State.FAILED,
        last_error="OSError: No space left on device",
    )  # fmt: skip
    page = watched_page
    log_in(page, live_server, member)
    billing_url = (
        f"{live_server.url}/t/{tenant.slug}/premium/billing/?year={YEAR}&month={MONTH}&disposition=BUSY"
    )

    with recording_queued_tasks(monkeypatch) as queued:
        for _ in range(2):
            page.goto(billing_url)
            page.get_by_role("button", name="Zestawienie PDF").click()
            page.wait_for_url("**/premium/billing/statements/**")
    asked = Statement.objects.get(tenant=tenant, disposition="BUSY")
    assert len(queued.sent) == 1 and page.url.endswith(f"#statement-{asked.pk}")
    expect(page.locator(".notice").first).to_contain_text(
        "Zestawienie z tymi filtrami jest już przygotowywane"
    )
    expect(page.locator(f"#statement-{asked.pk}")).to_contain_text("w kolejce")
    expect(page.locator("#statement-list")).to_contain_text("12 000 z 40 000 połączeń")
    expect(page.locator("#statement-list").get_by_role("link", name="Odśwież")).to_be_visible()

    shots = os.environ.get("SCREENSHOTS")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for name, address in (("billing", billing_url), ("statements", page.url)):
            page.goto(address)
            assert page.evaluate(LAYOUT_PROBLEMS) == [], (name, width)
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/premium-{name}-{width}.png", full_page=True)
    assert page.problems == [] and page.csp_violations() == []
