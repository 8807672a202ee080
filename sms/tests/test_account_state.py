"""The account sync (pool, payments, statistics, notices) against the sandbox over real HTTP, and its pages:
each one works, shows only the tenant's own rows, and the invoice is fetched once and served as a PDF
attachment to members only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import SyncStatus
from sms import sync, tasks
from sms.models import DeliveryStat, Payment, PoolEntry, ProviderNotice

INVOICE = "/payments/invoice.json"


@pytest.fixture
def account_synced(sms_account):
    sync.sync_account(sms_account.tenant_id)
    return sms_account


def test_the_account_sync_copies_pool_payments_stats_and_notices(tenant, account_synced, sandbox):
    pool = {entry.message_type: entry for entry in PoolEntry.objects.filter(tenant=tenant)}
    assert pool["eco"].remaining == 1200 and pool["lookup"].unlimited and pool["voice"].remaining is None
    assert sorted(Payment.objects.filter(tenant=tenant).values_list("number", flat=True)) == [
        "FV 112/2026",
        "FV 131/2026",
        "PRO 12/2026",
    ]
    assert DeliveryStat.objects.filter(tenant=tenant).count() == 2
    assert ProviderNotice.objects.filter(tenant=tenant, new=True).count() == 1
    assert SyncStatus.objects.get(tenant=tenant, provider="sms", resource="account").last_success_at

    sandbox.set_pool("eco", 7)
    sync.sync_account(tenant.pk)
    assert PoolEntry.objects.get(tenant=tenant, message_type="eco").remaining == 7


def test_a_failed_account_sync_keeps_the_old_copy(tenant, account_synced, sandbox):
    sandbox.set_fault("/stats/index.json", "500")
    sandbox.set_pool("eco", 1)
    sync.sync_account(tenant.pk)
    assert PoolEntry.objects.get(tenant=tenant, message_type="eco").remaining == 1200
    assert SyncStatus.objects.get(tenant=tenant, provider="sms", resource="account").failing_since


def test_the_fan_out_queues_one_account_sync_per_tenant(
    tenant, sms_account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.queue_account_syncs()
    assert len(callbacks) == 1
    assert SyncStatus.objects.get(tenant=tenant, provider="sms", resource="account").queued_at


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("sms:pool", "1,200"),
        ("sms:payments", "PRO 12/2026"),
        ("sms:stats", "Pakiet ECO"),
        ("sms:notices", "Przerwa techniczna"),
    ],
)
def test_each_page_shows_the_copy_and_hides_other_tenants(
    name, shown, tenant, other_tenant, account_synced, viewer, outsider, login
):
    url = reverse(name, kwargs={"tenant_slug": tenant.slug})
    response = login(viewer).get(url)
    assert response.status_code == 200 and shown in response.content.decode()
    assert login(outsider).get(url).status_code == 404
    assert login(viewer).post(url).status_code == 405
    other = reverse(name, kwargs={"tenant_slug": other_tenant.slug})
    assert login(viewer).get(other).status_code == 404


def test_the_invoice_is_fetched_once_and_served_as_a_pdf_attachment(
    tenant, account_synced, sandbox, viewer, login
):
    payment = Payment.objects.get(tenant=tenant, number="FV 112/2026")
    url = reverse("sms:invoice", kwargs={"tenant_slug": tenant.slug, "payment_id": payment.pk})
    client = login(viewer)
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="FV-112-2026.pdf"'
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert sandbox.request_count(INVOICE) == 1


def test_an_invoice_the_provider_refuses_is_said_plainly(
    tenant, account_synced, sandbox, viewer, login, other_tenant, outsider
):
    payment = Payment.objects.get(tenant=tenant, number="PRO 12/2026")
    sandbox.set_fault(INVOICE, "500")
    url = reverse("sms:invoice", kwargs={"tenant_slug": tenant.slug, "payment_id": payment.pk})
    response = login(viewer).get(url, follow=True)
    assert response.redirect_chain[-1][0].endswith(
        reverse("sms:payments", kwargs={"tenant_slug": tenant.slug})
    )
    assert "could not be downloaded" in response.content.decode()
    assert not Payment.objects.get(pk=payment.pk).invoice
    # Another tenant's member cannot reach the payment, not even by its id.
    assert login(outsider).get(url).status_code == 404


def test_payments_show_totals_as_money(tenant, account_synced, viewer, login, settings):
    client = login(viewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
    page = client.get(reverse("sms:payments", kwargs={"tenant_slug": tenant.slug})).content.decode()
    assert "1\N{NO-BREAK SPACE}230,00\N{NO-BREAK SPACE}zł" in page and "1230.00" not in page
