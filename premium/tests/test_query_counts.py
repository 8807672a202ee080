"""The wallet and invoices pages cost the same queries however many rows the tenant has."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from premium.models import Invoice, WalletEntry
from premium.views.money import WALLET_PER_PAGE


def url(name: str, tenant) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug})


def add_wallet_entries(tenant, count: int, start: int) -> None:
    now = timezone.now()
    WalletEntry.objects.bulk_create(
        WalletEntry(
            tenant=tenant,
            fingerprint=f"{start + i:064d}",
            created_at=now - timedelta(minutes=start + i),
            description="Doładowanie konta",
            credit=True,
            amount=Decimal("10.00"),
            balance_after=Decimal("100.00"),
        )
        for i in range(count)
    )


def add_invoices(tenant, count: int, start: int) -> None:
    now = timezone.now()
    Invoice.objects.bulk_create(
        Invoice(
            tenant=tenant,
            provider_id=start + i,
            title=f"{start + i}/01/2026",
            amount_net=Decimal("40.00"),
            paid=bool(i % 2),
            issued_at=now - timedelta(days=start + i),
        )
        for i in range(count)
    )


def test_the_wallet_costs_the_same_queries_for_3_or_300_operations(
    login, tenant, viewer, django_assert_max_num_queries
):
    client = login(viewer)
    add_wallet_entries(tenant, 3, 0)
    with django_assert_max_num_queries(12) as few:
        client.get(url("wallet", tenant))
    add_wallet_entries(tenant, 297, 3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("wallet", tenant))
    assert len(response.context["page"].items) == WALLET_PER_PAGE
    with django_assert_max_num_queries(len(few.captured_queries)):
        older = client.get(url("wallet", tenant), {"after": response.context["page"].next_cursor})
    assert len(older.context["page"].items) == WALLET_PER_PAGE


def test_the_invoices_cost_the_same_queries_for_2_or_60_invoices(
    login, tenant, viewer, django_assert_max_num_queries
):
    client = login(viewer)
    add_invoices(tenant, 2, 0)
    with django_assert_max_num_queries(12) as few:
        client.get(url("invoices", tenant))
    add_invoices(tenant, 58, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("invoices", tenant))
    assert response.text.count("/01/2026") >= 60
