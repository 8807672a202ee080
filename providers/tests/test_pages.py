"""The page shell of the provider apps: the sub-navigation declared as data, in the viewer's language and
by role, and the notice while the tenant has no account."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SUBNAV = re.compile(r'<nav class="subnav"[^>]*>(.*?)</nav>', re.S)


def subnav(html: str) -> list[str]:
    return re.findall(r">([^<>]+)</a>", SUBNAV.search(html).group(1))


@pytest.mark.parametrize(
    ("url_name", "admin_sees", "viewer_sees"),
    [
        (
            "premium:numbers",
            ["Numery", "Billing", "Portfel", "Faktury", "Konto"],
            ["Numery", "Billing", "Portfel", "Faktury", "Konto"],
        ),
        (
            "sms:index",
            ["Subkonta", "Pozostałe wiadomości", "Płatności", "Statystyki doręczeń", "Komunikaty", "Konto"],
            ["Subkonta", "Pozostałe wiadomości", "Płatności", "Statystyki doręczeń", "Komunikaty"],
        ),
    ],
)
def test_the_sub_navigation_is_in_polish_and_by_role(
    url_name, admin_sees, viewer_sees, tenant, login, tenant_admin, viewer
):
    url = reverse(url_name, kwargs={"tenant_slug": tenant.slug})

    as_admin = login(tenant_admin).get(url).text
    as_viewer = login(viewer).get(url).text

    assert subnav(as_admin) == admin_sees and subnav(as_viewer) == viewer_sees
    assert 'aria-current="page"' in SUBNAV.search(as_admin).group(1)
    assert "Ta organizacja nie ma jeszcze skonfigurowanego konta" in as_admin
    assert "Skonfiguruj je" in as_admin and "Skonfiguruj je" not in as_viewer
