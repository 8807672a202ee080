"""The account (credentials, Test connection), the wallet and the invoices."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import AuditEvent
from premium import sync as premium_sync
from premium.models import Invoice, PremiumAccount
from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL, HOSTILE_PAYLOADS

INVOICE_PATH = "/api/account/invoice/"


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


# --- Account -------------------------------------------------------------------------------------


def test_members_see_whether_it_is_set_up_and_only_admins_get_the_form(
    login, tenant, viewer, operator, tenant_admin
):
    page = login(viewer).get(url("account", tenant), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Not set up" in page and 'name="api_key"' not in page
    assert login(operator).post(url("account-save", tenant), {"email": "x@firma.pl"}).status_code == 403
    assert 'name="api_key"' in login(tenant_admin).get(url("account", tenant)).text


def test_admin_sets_credentials_write_only_encrypted_and_audited(
    login, tenant, tenant_admin, sandbox_url, django_capture_on_commit_callbacks
):
    client = login(tenant_admin)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            url("account-save", tenant),
            {"email": DEMO_EMAIL, "api_key": DEMO_API_KEY, "base_url": sandbox_url + "/"},
        )
    assert response.status_code == 302
    assert len(queued) == 5  # numbers, balance, wallet, invoices and this month's billing

    account = PremiumAccount.objects.get(tenant=tenant)
    assert (account.email, account.api_key, account.base_url) == (DEMO_EMAIL, DEMO_API_KEY, sandbox_url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM premium_premiumaccount WHERE id = %s", [account.pk])
        assert DEMO_API_KEY not in cursor.fetchone()[0]
    event = AuditEvent.objects.get(action="premium.account.create")
    assert event.changes["api_key"] == ["(changed)", "(changed)"] and DEMO_API_KEY not in str(event.changes)

    page = client.get(url("account", tenant)).text
    assert DEMO_API_KEY not in page and account.api_key_hint in page

    # An empty key field keeps the stored key.
    client.post(
        url("account-save", tenant), {"email": "nowy@firma.pl", "api_key": "", "base_url": sandbox_url}
    )
    account.refresh_from_db()
    assert (account.email, account.api_key) == ("nowy@firma.pl", DEMO_API_KEY)
    assert AuditEvent.objects.get(action="premium.account.update").changes == {
        "email": [DEMO_EMAIL, "nowy@firma.pl"]
    }


def test_bad_credentials_input_gets_clear_errors(login, tenant, tenant_admin):
    client = login(tenant_admin)
    response = client.post(
        url("account-save", tenant), {"email": "not-an-email", "api_key": "", "base_url": "ftp://x"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "api_key", "base_url"}
    assert not PremiumAccount.objects.exists()


def test_test_connection_says_what_happened(login, tenant, tenant_admin, premium_account, sandbox):
    client = login(tenant_admin)
    ok = client.post(url("account-test", tenant), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert ok.status_code == 200 and "The connection works" in ok.text
    premium_account.refresh_from_db()
    assert premium_account.balance_net is not None

    premium_account.api_key = "wrong-key-000000"
    premium_account.save()
    refused = client.post(url("account-test", tenant), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Numery-Premium.PL refused access. Either its API service is off" in refused.text
    assert "401 UNAUTHORIZED: Unauthorized" in refused.text
    assert "wrong-key" not in refused.text


def test_test_connection_without_an_account_asks_to_set_it_up(login, tenant, tenant_admin, operator):
    assert login(operator).post(url("account-test", tenant)).status_code == 403
    response = login(tenant_admin).post(url("account-test", tenant))
    assert response.status_code == 302 and response["Location"] == url("account", tenant)


# --- Wallet --------------------------------------------------------------------------------------


def test_wallet_shows_the_balance_and_the_history_in_zloty(login, tenant, viewer, premium_account, sandbox):
    premium_sync.sync_balance(premium_account)
    premium_sync.sync_wallet(premium_account)
    premium_account.refresh_from_db()

    page = login(viewer).get(url("wallet", tenant), HTTP_ACCEPT_LANGUAGE="en").text

    zl = "\N{NO-BREAK SPACE}zł"  # one line: "160.00 zł" never breaks before its currency
    assert f"{premium_account.balance_net}{zl}" in page and f"{premium_account.balance_gross}{zl}" in page
    assert "grosze (2000 = 20.00 zł)" in page
    assert "+500.00" in page and "−50.00" in page


def test_wallet_has_one_sync_line_whose_refresh_reads_balance_and_history(
    login, tenant, viewer, premium_account, sandbox
):
    premium_sync.sync_wallet(premium_account)
    premium_account.refresh_from_db()
    assert premium_account.balance_net is not None  # the balance came with the history

    page = login(viewer).get(url("wallet", tenant), HTTP_ACCEPT_LANGUAGE="en").text
    assert page.count('class="sync-status"') == 1


def test_wallet_escapes_the_providers_words_and_pages_back(login, tenant, viewer, premium_account, sandbox):
    sandbox.seed_demo(hostile=True)
    premium_sync.sync_wallet(premium_account)
    for amount in range(1, 46):
        sandbox.top_up(amount)
    premium_sync.sync_wallet(premium_account)
    client = login(viewer)

    first = client.get(url("wallet", tenant))
    cursor = first.context["page"].next_cursor
    older = client.get(url("wallet", tenant), {"after": cursor})
    partial = client.get(url("wallet", tenant), {"after": cursor}, HTTP_HX_REQUEST="true")

    assert len(first.context["page"].items) == 50 and len(older.context["page"].items) == 9
    for page in (first.text, older.text, partial.text):
        assert HOSTILE_PAYLOADS[0] not in page and HOSTILE_PAYLOADS[1] not in page
    assert "&lt;script&gt;" in older.text and "&lt;img src=x" in first.text
    assert partial.status_code == 200 and partial.text.lstrip().startswith('<div id="wallet-rows">')


# --- Invoices ------------------------------------------------------------------------------------


@pytest.mark.parametrize("random_name", ["any", "holding the invoice's id"])
def test_invoices_list_and_a_download_fetches_the_file_once(
    login, tenant, viewer, operator, premium_account, sandbox, monkeypatch, random_name
):
    premium_sync.sync_invoices(premium_account)
    if random_name != "any":
        # A random name may hold the invoice's digits by chance (CI once drew "...f307..." for invoice 307).
        provider_id = Invoice.objects.filter(tenant=tenant).order_by("provider_id").first().provider_id
        digits = f"{provider_id:0>6}"[-6:]
        monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(hex=f"{digits}{'a' * 26}"))
    invoice = Invoice.objects.filter(tenant=tenant).order_by("provider_id").first()
    assert invoice.title in login(viewer).get(url("invoices", tenant)).text

    for member in (viewer, operator):
        response = login(member).get(url("invoice-download", tenant, invoice_id=invoice.pk))
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        assert content.startswith(b"%PDF-") and response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]

    assert sandbox.request_count(f"{INVOICE_PATH}{invoice.provider_id}") == 1
    invoice.refresh_from_db()
    stored = invoice.file.name
    # The name is drawn at random, not made of the invoice's id or number.
    assert re.fullmatch(rf"premium/invoices/{tenant.pk}/[0-9a-f]{{32}}\.pdf", stored)


def test_invoice_files_are_never_public(client, login, tenant, viewer, premium_account, sandbox, settings):
    premium_sync.sync_invoices(premium_account)
    invoice = Invoice.objects.filter(tenant=tenant).first()
    login(viewer).get(url("invoice-download", tenant, invoice_id=invoice.pk))
    invoice.refresh_from_db()
    assert client.get(f"/media/{invoice.file.name}").status_code == 404
    client.logout()
    anonymous = client.get(url("invoice-download", tenant, invoice_id=invoice.pk))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_another_tenants_invoice_is_not_found(
    login, tenant, other_tenant, viewer, outsider, premium_account, sandbox
):
    premium_sync.sync_invoices(premium_account)
    mine = Invoice.objects.filter(tenant=tenant).first()
    theirs = Invoice.objects.create(
        tenant=other_tenant,
        provider_id=mine.provider_id,
        title="9/09/2025",
        amount_net=1,
        paid=True,
        issued_at=mine.issued_at,
    )
    assert login(viewer).get(url("invoice-download", tenant, invoice_id=theirs.pk)).status_code == 404
    assert login(outsider).get(url("invoice-download", tenant, invoice_id=mine.pk)).status_code == 404
    assert sandbox.request_count(f"{INVOICE_PATH}{mine.provider_id}") == 0


def test_a_refused_download_explains_and_stores_nothing(login, tenant, viewer, premium_account, sandbox):
    unknown = Invoice.objects.create(
        tenant=tenant,
        provider_id=1,
        title="1/01/2020",
        amount_net=1,
        paid=True,
        issued_at=premium_sync.timezone.now(),
    )

    response = login(viewer).get(
        url("invoice-download", tenant, invoice_id=unknown.pk), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "could not be downloaded" in response.text and "Brak dostępu do wybranego zasobu" in response.text
    unknown.refresh_from_db()
    assert not unknown.file
