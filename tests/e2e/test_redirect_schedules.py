"""Redirect schedules and snapshots in the browser: "weekdays 8–16 to the office, otherwise and on
holidays to the mobile" set once and followed, verified; a wrong bulk change undone from a snapshot's
plan; every page fits a phone's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Role, Tenant
from conftest import make_member
from premium import sync as premium_sync
from premium.models import PremiumNumber
from premium.tests.live import account_at, served_sandbox
from providers.formatting import phone
from redirect_schedules import services
from redirect_schedules.models import RedirectSchedule, Switch
from snapshots import services as snapshot_services
from snapshots.models import Rollback
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

OFFICE, MOBILE = "221234567", "601000111"
# The page's own content fits the window (wide tables scroll in their own box). The site header is the
# layout's, not these pages'.
FITS = """[...document.querySelectorAll("main *")].every(
    (e) => e.closest(".overflow-auto") || e.getBoundingClientRect().right <= window.innerWidth + 1)"""


@pytest.fixture
def served():
    with served_sandbox() as served:
        yield served


@pytest.fixture
def tenant_with_numbers(transactional_db, served):
    tenant = Tenant.objects.create(slug="harmonogram", name="Biuro Harmonogram")
    premium_sync.sync_numbers(account_at(tenant, served[1]))
    return tenant


def test_an_operator_sets_a_schedule_once_and_the_numbers_follow_it(
    live_server, watched_page, served, tenant_with_numbers
):
    page, tenant = watched_page, tenant_with_numbers
    sandbox = served[0]
    operator = make_member(tenant, "ola-operator", Role.OPERATOR)
    log_in(page, live_server, operator)
    base = f"{live_server.url}/t/{tenant.slug}"
    numbers = list(PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:2])

    page.goto(f"{base}/redirect-schedules/")
    page.locator("main a[href$='/redirect-schedules/new/']").click()
    page.fill("input[name=name]", "Biuro")
    for number in numbers:
        page.check(f"input[name=numbers][value='{number.pk}']")
    page.fill("input[name=target]", "+48 601 000 111")
    page.fill("input[name=holiday_target]", "601 000 111")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/redirect-schedules/*/")
    page.locator("summary", has_text="Dodaj przedział").click()
    for day in range(5):
        page.check(f"input[name=days][value='{day}']")
    page.fill("input[name=starts]", "08:00")
    page.fill("input[name=ends]", "16:00")
    page.locator("details[open] input[name=target]").fill("22 123 45 67")
    page.locator("details[open] button[type=submit]").click()
    expect(page.locator("#windows tbody tr").first).to_contain_text("08:00–16:00")
    assert page.locator("#windows tbody tr").inner_text().split("\t")[:3] == [
        "poniedziałek, wtorek, środa, czwartek, piątek",
        "08:00–16:00",
        phone(OFFICE),  # as people read it: 221 234 567
    ]
    assert page.locator("#preview tbody tr").count() >= 8  # two a weekday, 14 days ahead

    schedule = RedirectSchedule.objects.get(tenant=tenant)
    switch = services.make_switch_in_force(schedule.pk)  # what beat's next minute does
    expected = switch.target
    assert expected in (OFFICE, MOBILE)
    assert [sandbox.number(n.number).appdata for n in numbers] == [f"number={expected}"] * 2
    page.reload()
    assert "wykonane i sprawdzone" in page.locator("#switches tbody tr").first.inner_text()
    assert Switch.objects.get().state == Switch.State.VERIFIED

    page.set_viewport_size({"width": 390, "height": 800})
    for path in (
        "/redirect-schedules/",
        f"/redirect-schedules/{schedule.pk}/",
        f"/redirect-schedules/{schedule.pk}/edit/",
    ):
        page.goto(base + path)
        assert page.evaluate(FITS), path
    assert page.problems == [] and page.csp_violations() == []


def test_a_wrong_bulk_change_is_undone_from_the_snapshots_plan(
    live_server, watched_page, served, tenant_with_numbers
):
    page, tenant = watched_page, tenant_with_numbers
    sandbox = served[0]
    admin = make_member(tenant, "adam-admin", Role.ADMIN)
    log_in(page, live_server, admin)
    base = f"{live_server.url}/t/{tenant.slug}"
    numbers = list(PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:2])
    before = [sandbox.number(n.number).appdata for n in numbers]
    assert before[0] and not before[1]  # the demo's second number has never been redirected

    page.goto(f"{base}/premium/numbers/")
    for number in numbers:
        page.check(f"input[form=bulk-redirect][value='{number.pk}']")
    page.fill("#bulk-redirect input[name=target]", "609 999 999")
    page.locator("#bulk-redirect button[type=submit]").click()
    page.locator(".premium-bulk-results").wait_for()
    assert [sandbox.number(n.number).appdata for n in numbers] == ["number=609999999"] * 2

    page.goto(f"{base}/snapshots/")
    page.locator("main table a").first.click()  # the snapshot taken before the bulk change
    page.wait_for_url("**/snapshots/*/")
    expect(page.locator("text=trafiają na 609999999")).to_have_count(2)
    page.check("input[name=parts][value='premium.redirects']")
    page.locator("main button", has_text="Pokaż plan").click()
    expect(page.locator("main ol li", has_text="setRedirect")).to_have_count(1)
    assert (
        page.locator("main ul li", has_text=f"{numbers[1].number} nie miał wtedy przekierowania").count() == 1
    )
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate(FITS)
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url("**/snapshots/rollbacks/*/")
    snapshot_services.run(Rollback.objects.get().pk)  # what the worker does
    page.reload()
    assert page.locator(".badge-ok").count() == 1
    assert page.evaluate(FITS)
    assert [sandbox.number(n.number).appdata for n in numbers] == [before[0], "number=609999999"]
    for path in ("/snapshots/", "/snapshots/compare/?since=1"):
        page.goto(base + path)
        assert page.evaluate(FITS), path
    assert page.problems == [] and page.csp_violations() == []
