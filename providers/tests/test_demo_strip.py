"""Every page of a tenant whose accounts point at a sandbox says it shows demo data; no other tenant's does."""

import pytest
from django.urls import reverse

from premium.models import PremiumAccount
from sms.models import SerwerSmsAccount
from spikon.models import SpikonAccount

PAGES = ["tenant-home", "premium:numbers", "spikon:index", "sms:index", "members"]


@pytest.mark.parametrize("page", PAGES)
def test_a_tenant_on_sandboxes_sees_the_demo_strip_on_every_page(login, tenant, owner, page):
    PremiumAccount.objects.create(
        tenant=tenant, email="a@b.pl", api_key="k" * 20, base_url="http://127.0.0.1:8001/premium"
    )
    SpikonAccount.objects.create(tenant=tenant, api_key="k" * 32, base_url="http://localhost:8001/spikon")
    response = login(owner).get(reverse(page, kwargs={"tenant_slug": tenant.slug}))
    assert response.status_code == 200
    assert 'class="demo-strip"' in response.text
    strip = response.text.split('class="demo-strip"')[1].split("</div>")[0]
    assert "Numery-Premium.PL, SPIKON" in strip and "SerwerSMS" not in strip
    assert "Dane demonstracyjne" in strip


def test_real_providers_and_no_accounts_show_no_strip(login, tenant, owner):
    client = login(owner)
    assert (
        'class="demo-strip"'
        not in client.get(reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})).text
    )
    PremiumAccount.objects.create(tenant=tenant, email="a@b.pl", api_key="k" * 20)  # the official address
    SerwerSmsAccount.objects.create(tenant=tenant, api_token="t" * 20, base_url=SerwerSmsAccount.OFFICIAL_URL)
    assert (
        'class="demo-strip"'
        not in client.get(reverse("premium:numbers", kwargs={"tenant_slug": tenant.slug})).text
    )
