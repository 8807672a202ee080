"""A purchase confirmation buys once, ever: whatever is deleted or synced after it, posting it again never
reaches the provider, and says what the first post did."""

from __future__ import annotations

import pytest
from django.urls import reverse

from premium import sync as premium_sync
from premium.models import PremiumNumber
from premium.views.numbers import PURCHASE_TOKENS
from providers.formatting import phone
from providers.once import ActionRecord

pytestmark = pytest.mark.django_db

ADD_NUMBER = "/api/prm/voice/addNumber/5"


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def test_the_same_confirmation_after_the_number_was_deleted_buys_nothing(
    login, tenant, tenant_admin, premium_account, sandbox
):
    premium_sync.sync_numbers(premium_account)
    client = login(tenant_admin)
    client.get(url("number-buy", tenant), {"tariff": 5})
    confirmation = client.session[PURCHASE_TOKENS][-1]
    before = set(PremiumNumber.objects.values_list("number", flat=True))
    assert (
        client.post(url("number-buy", tenant), {"tariff": 5, "confirmation": confirmation}).status_code == 302
    )
    (bought,) = PremiumNumber.objects.exclude(number__in=before)

    deleted = client.post(
        url("number-delete", tenant, number_id=bought.pk), {"confirm_number": bought.number}
    )
    assert deleted.status_code == 302 and not PremiumNumber.objects.filter(pk=bought.pk).exists()
    premium_sync.sync_numbers(premium_account)
    # The confirmation comes back in the session, as a second tab or a restored page would send it.
    session = client.session
    session[PURCHASE_TOKENS] = [confirmation]
    session.save()

    again = client.post(url("number-buy", tenant), {"tariff": 5, "confirmation": confirmation}, follow=True)

    assert again.status_code == 200
    assert sandbox.request_count(ADD_NUMBER) == 1
    assert phone(bought.number) in again.text  # the first purchase's outcome is what the page says
    record = ActionRecord.objects.get(tenant=tenant, key=confirmation)
    assert record.kind == "premium.number.buy" and record.state == ActionRecord.State.DONE
