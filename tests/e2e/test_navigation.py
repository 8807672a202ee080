"""Log in, switch tenant, open every navigation entry: no console error, no CSP violation."""

import pytest
from django.urls import reverse

from accounts.context_processors import ORGANISATION_PAGES, TENANT_NAVIGATION
from accounts.models import Membership, Role, Tenant
from conftest import make_member
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


def test_login_switch_tenant_and_open_every_navigation_entry(live_server, watched_page):
    page = watched_page
    first = Tenant.objects.create(slug="alfa", name="Alfa Telekom")
    second = Tenant.objects.create(slug="beta", name="Beta Łączność")
    user = make_member(first, "ewa", Role.OWNER)
    Membership.objects.create(user=user, tenant=second, role=Role.OWNER)

    log_in(page, live_server, user)
    assert page.locator("main h1").inner_text() == "Twoje organizacje"
    page.click(f"text={first.name}")
    page.wait_for_url(f"**/t/{first.slug}/")

    visited = []
    for tenant in (first, second):
        entries = page.locator("nav.tenant-nav a")
        hrefs = [entries.nth(i).get_attribute("href") for i in range(entries.count())]
        # An owner sees every entry of the navigation, in its order, the organisation's pages last, under one.
        organisation = [reverse(name, kwargs={"tenant_slug": tenant.slug}) for _, name, _, _ in ORGANISATION_PAGES]
        assert hrefs == [
            reverse(name, kwargs={"tenant_slug": tenant.slug}) for _, name, _, _ in TENANT_NAVIGATION
        ] + organisation[:1], hrefs
        page.goto(f"{live_server.url}{organisation[0]}")
        assert page.locator("nav.tenant-nav a[aria-current=page]").inner_text() == "Organizacja"
        subnav = page.locator("nav.subnav a")
        assert [subnav.nth(i).get_attribute("href") for i in range(subnav.count())] == organisation
        hrefs += organisation[1:]
        for href in hrefs:
            page.goto(f"{live_server.url}{href}")
            assert page.locator("main h1").count() >= 1, href
            assert f"/t/{tenant.slug}/" in page.url
            visited.append(href)
            assert page.csp_violations() == [], href
        if tenant is first:
            # The switcher in the header takes the member to the other tenant.
            page.click("details.tenant-switcher summary")
            page.click(f"details.tenant-switcher >> text={second.name}")
            page.wait_for_url(f"**/t/{second.slug}/")

    assert len(visited) == 2 * (len(TENANT_NAVIGATION) + len(ORGANISATION_PAGES))
    assert page.problems == []


def test_language_switch_and_dismissible_notice(live_server, watched_page):
    page = watched_page
    tenant = Tenant.objects.create(slug="gamma", name="Gamma")
    user = make_member(tenant, "jan", Role.OWNER)
    log_in(page, live_server, user)
    page.wait_for_url("**/t/gamma/")
    assert "Organizacja" in page.locator("nav.tenant-nav").inner_text()
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")  # app.js submits the form on change
    assert "Organisation" in page.locator("nav.tenant-nav").inner_text()

    page.goto(f"{live_server.url}/t/gamma/settings/")
    page.fill("input[name=name]", "Gamma 2")
    page.click("main button[type=submit]")
    notice = page.locator(".notice-success")
    assert "Settings saved" in notice.inner_text()
    notice.locator("[data-dismiss]").click()
    assert page.locator(".notice-success").count() == 0
    assert page.problems == [] and page.csp_violations() == []


# The tops of the navigation's entries: one value when they lie on one row.
NAV_ROWS = "() => [...new Set([...document.querySelectorAll('nav.tenant-nav li')].map((li) => li.offsetTop))]"


def test_an_owners_navigation_is_one_row_on_a_laptop(live_server, watched_page):
    page = watched_page
    page.set_viewport_size({"width": 1366, "height": 900})
    tenant = Tenant.objects.create(slug="delta", name="Delta")
    user = make_member(tenant, "ola", Role.OWNER)
    log_in(page, live_server, user)
    page.wait_for_url("**/t/delta/")
    for language in ("pl", "en"):
        if language == "en":
            with page.expect_navigation():
                page.select_option("select[name=language]", "en")
        assert len(page.evaluate(NAV_ROWS)) == 1, (language, page.locator("nav.tenant-nav").inner_text())
