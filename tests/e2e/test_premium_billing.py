"""Numery-Premium.PL billing and invoices in a browser, in Polish: filter, CSV, PDF, invoice download."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from config.celery import app as celery_app
from premium import sync as premium_sync
from premium.models import Call, Invoice, PremiumNumber, Statement
from premium.tasks import render_statement
from premium.tests.live import account_at, served_sandbox
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def premium(tenant, settings, tmp_path, monkeypatch):
    """(sandbox, account, queued): the seeded sandbox on loopback, the tenant's account pointing at it,
    and the syncs the pages queue (recorded: they must not reach a broker outside this test)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    queued: list[tuple[str, list]] = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args=None, **options: queued.append((name, args))
    )
    with served_sandbox() as (sandbox, url):
        yield sandbox, account_at(tenant, url), queued


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "pl-PL"}


def test_filter_billing_download_csv_and_pdf_and_an_invoice(
    live_server, watched_page, tenant, viewer, premium
):
    sandbox, premium_account, _queued = premium
    tenant.name = "Łączność Zażółć Sp. z o.o."
    tenant.save()
    premium_sync.sync_numbers(premium_account)
    premium_sync.sync_billing(premium_account, premium_sync.billing_resource(*premium_sync.current_month()))
    premium_sync.sync_invoices(premium_account)
    answered = Call.objects.filter(tenant=tenant, disposition="ANSWERED")
    page = watched_page
    log_in(page, live_server, viewer)
    page.goto(f"{live_server.url}/t/{tenant.slug}/premium/billing/")
    expect(page.locator("main h1")).to_have_text("Billing")
    expect(page.locator(".premium-chart svg rect.premium-bar-paid").first).to_be_attached()
    # The legend's marks are small and below the chart (they once stretched under its day labels), and
    # a day's figures are reached with the keyboard.
    chart = page.locator(".premium-chart-scroll > svg").bounding_box()
    for mark in page.locator(".premium-chart-legend svg").all():
        box = mark.bounding_box()
        assert box["width"] <= 20 and box["y"] >= chart["y"] + chart["height"], box
    page.locator(".premium-chart-day").first.focus()
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert "dzwoniący zapłacili" in focused and "koszt przekierowań" in focused and "zł" in focused

    # The number field's suggestions come as it is typed in, and leave the page and its address as they are.
    number = PremiumNumber.objects.filter(tenant=tenant).order_by("-number").values_list("number", flat=True)[0]
    field = page.locator("#id_number")
    field.click()
    field.press_sequentially(number[:7])
    expect(page.locator(f'#premium-billing-numbers option[value="{number}"]')).to_be_attached()
    assert page.url == f"{live_server.url}/t/{tenant.slug}/premium/billing/"
    expect(page.locator(".premium-chart svg rect.premium-bar-paid").first).to_be_attached()
    field.fill("")

    # Filter (HTMX swaps the results and pushes the address).
    page.select_option("select[name=disposition]", "ANSWERED")
    page.get_by_role("button", name="Pokaż").click()
    page.wait_for_url(re.compile(r"disposition=ANSWERED"))
    expect(page.locator(".premium-totals article").first).to_contain_text(str(answered.count()))
    states = page.locator(".calls-table tbody .badge")
    expect(states).to_have_count(50)
    assert set(states.all_inner_texts()) == {"odebrane"}

    # CSV: the whole filtered set, not the page.
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Pobierz CSV").click()
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))  # the variant Polish Excel opens
    assert rows[0][0] == "Id połączenia" and rows[0][7] == "Stan połączenia"
    assert len(rows) - 1 == answered.count() and {row[7] for row in rows[1:]} == {"odebrane"}

    # PDF statement: asked for here, made by the worker (its task run here), downloaded from the list.
    page.get_by_role("button", name="Zestawienie PDF").click()
    page.wait_for_url("**/premium/billing/statements/")
    statement = Statement.objects.get(tenant=tenant)
    assert (statement.disposition, statement.state) == ("ANSWERED", Statement.State.QUEUED)
    render_statement(statement.pk)
    page.reload()
    with page.expect_download() as pdf_download:
        page.locator(f"#statement-{statement.pk}").get_by_role("link", name="Pobierz").click()
    reader = PdfReader(pdf_download.value.path())
    pdf = "\n".join(p.extract_text() for p in reader.pages)
    assert "Zestawienie billingu Numery-Premium.PL" in pdf
    assert "Łączność Zażółć" in pdf and "Podsumowanie według numerów" in pdf

    # An invoice: fetched from the provider, served to the member.
    page.get_by_role("link", name="Faktury").click()
    invoice = Invoice.objects.filter(tenant=tenant).order_by("-issued_at").first()
    with page.expect_download() as invoice_download:
        page.locator(f"#invoice-{invoice.pk}").get_by_role("link", name="Pobierz").click()
    assert Path(invoice_download.value.path()).read_bytes().startswith(b"%PDF-")
    assert invoice_download.value.suggested_filename.endswith(".pdf")
    page.reload()
    expect(page.locator(f"#invoice-{invoice.pk}")).to_contain_text("zapisana tutaj")
    with page.expect_download() as again:
        page.locator(f"#invoice-{invoice.pk}").get_by_role("link", name="Pobierz").click()
    assert Path(again.value.path()).read_bytes().startswith(b"%PDF-")
    assert sandbox.request_count(f"/api/account/invoice/{invoice.provider_id}") == 1

    assert page.problems == [] and page.csp_violations() == []
