"""The SPIKON overview: balance (negative said clearly) and phone accounts from the local copy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from providers.formatting import phone
from spikon import sync
from spikon.models import PhoneAccount, SpikonAccount
from spikon.sandbox import HOSTILE_IMG, HOSTILE_SCRIPT

pytestmark = pytest.mark.django_db


def url(tenant) -> str:
    return reverse("spikon:index", kwargs={"tenant_slug": tenant.slug})


def test_overview_shows_balance_and_phone_accounts_from_the_last_sync(spikon_account, login, viewer):
    sync.sync_account(spikon_account.tenant_id)

    response = login(viewer).get(url(spikon_account.tenant))

    page = response.content.decode()
    assert response.status_code == 200
    assert "287,45\xa0zł" in page  # Polish decimal comma, no line break before the currency
    assert phone("583001100") in page and "58300110" in page and "Recepcja" in page
    assert "niezarejestrowane" in page  # the warehouse account is not registered
    assert "Ostatnia synchronizacja" in page
    assert "Zadzwoń stąd" not in page  # a viewer cannot start calls


def test_a_negative_balance_is_said_clearly(spikon_account, login, operator):
    SpikonAccount.objects.filter(pk=spikon_account.pk).update(balance=Decimal("-12.50"))

    page = login(operator).get(url(spikon_account.tenant)).content.decode()

    assert "-12,50\xa0zł" in page
    assert "Saldo jest ujemne" in page


def test_without_an_account_the_page_says_how_to_set_it_up(tenant, login, tenant_admin, viewer):
    admin_page = login(tenant_admin).get(url(tenant)).content.decode()
    assert "Skonfiguruj je" in admin_page
    viewer_page = login(viewer).get(url(tenant)).content.decode()
    assert "Administrator może je skonfigurować" in viewer_page


def test_provider_text_is_escaped(spikon_account, sandbox, login, viewer):
    sandbox.seed_demo(hostile=True)
    sync.sync_account(spikon_account.tenant_id)

    page = login(viewer).get(url(spikon_account.tenant)).content.decode()

    assert HOSTILE_SCRIPT not in page and HOSTILE_IMG not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_overview_query_count_does_not_grow_with_phone_accounts(
    spikon_account, login, operator, django_assert_max_num_queries
):
    client = login(operator)
    for provider_id in range(1, 4):
        PhoneAccount.objects.create(
            tenant=spikon_account.tenant, provider_id=provider_id, number=f"5830000{provider_id}"
        )
    with django_assert_max_num_queries(13) as few:
        client.get(url(spikon_account.tenant))
    for provider_id in range(4, 60):
        PhoneAccount.objects.create(
            tenant=spikon_account.tenant, provider_id=provider_id, number=f"5830000{provider_id}"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(spikon_account.tenant)).status_code == 200


def test_overview_hides_other_tenants_and_takes_only_get(spikon_account, login, outsider, viewer):
    assert login(outsider).get(url(spikon_account.tenant)).status_code == 404
    assert login(viewer).post(url(spikon_account.tenant)).status_code == 405
