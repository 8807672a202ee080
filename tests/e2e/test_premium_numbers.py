"""Numery-Premium.PL in a browser: change a redirect inline, buy a number, delete it by typing it."""

import re

import pytest
from playwright.sync_api import expect

from config.celery import app as celery_app
from premium import sync as premium_sync
from premium.models import PremiumNumber
from premium.tests.live import account_at, served_sandbox
from providers.formatting import phone
from tests.e2e.conftest import log_in
from tests.e2e.test_every_page_fits import LAYOUT_PROBLEMS

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


def test_change_a_redirect_then_buy_and_delete_a_number(
    live_server, watched_page, tenant, tenant_admin, premium
):
    sandbox, premium_account, queued = premium
    for sync in (premium_sync.sync_numbers, premium_sync.sync_balance, premium_sync.sync_wallet):
        sync(premium_account)
    number = PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()
    page = watched_page
    log_in(page, live_server, tenant_admin)
    page.goto(f"{live_server.url}/t/{tenant.slug}/premium/")

    # Inline redirect: the row turns into a form, the answer puts the updated row back.
    row = page.locator(f"#number-{number.pk}")
    row.get_by_role("link", name=re.compile("Redirect|Przekieruj")).click()
    target = page.locator(f"#id_n{number.pk}-target")
    target.fill("12345")
    page.locator(f"#number-{number.pk} button[type=submit]").click()
    expect(page.locator(f"#number-{number.pk} .field-error")).to_be_visible()
    assert page.problems == []
    target = page.locator(f"#id_n{number.pk}-target")
    target.fill("+48 512 000 111")
    page.locator(f"#number-{number.pk} button[type=submit]").click()
    expect(row.locator("td").nth(5)).to_have_text("512\N{NO-BREAK SPACE}000\N{NO-BREAK SPACE}111")
    assert sandbox.number(number.number).appdata == "number=512000111"
    expect(page.locator(".notice-success")).to_contain_text("512\N{NO-BREAK SPACE}000\N{NO-BREAK SPACE}111")

    # Buy: choose a tariff, see the wallet and the price, confirm.
    count = PremiumNumber.objects.filter(tenant=tenant).count()
    page.get_by_role("button", name=re.compile("Buy a number|Kup numer")).click()
    page.check("input[name=tariff][value='5']")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".confirm-purchase")).to_contain_text("5")
    expect(page.locator(".wallet-summary")).to_contain_text("zł")
    page.locator(".confirm-purchase button[type=submit]").click()
    page.wait_for_url(re.compile(r"/premium/numbers/#number-\d+$"))
    assert PremiumNumber.objects.filter(tenant=tenant).count() == count + 1
    bought = PremiumNumber.objects.filter(tenant=tenant).order_by("-pk").first()
    expect(page.locator(f"#number-{bought.pk}")).to_contain_text(phone(bought.number))
    assert sandbox.number(bought.number) is not None
    # The purchase queues the syncs that bring its price and the wallet's new history.
    assert {name for name, _args in queued} >= {"premium.tasks.sync_numbers", "premium.tasks.sync_wallet"}

    # Delete: the button waits until the number is typed.
    page.locator(f"#number-{bought.pk}").get_by_role("link", name=re.compile("Delete|Usuń")).click()
    button = page.locator("button[data-confirm-button]")
    expect(button).to_be_disabled()
    page.fill("input[name=confirm_number]", bought.number[:-1])
    expect(button).to_be_disabled()
    page.fill("input[name=confirm_number]", bought.number)
    expect(button).to_be_enabled()
    button.click()
    page.wait_for_url(re.compile(r"/premium/numbers/$"))
    expect(page.locator(f"#number-{bought.pk}")).to_have_count(0)
    assert sandbox.number(bought.number) is None

    assert page.problems == [] and page.csp_violations() == []


def test_bulk_redirect_shows_a_result_per_number(live_server, watched_page, tenant, operator, premium):
    sandbox, premium_account, _queued = premium
    premium_sync.sync_numbers(premium_account)
    numbers = list(PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:3])
    page = watched_page
    log_in(page, live_server, operator)
    page.goto(f"{live_server.url}/t/{tenant.slug}/premium/numbers/")

    for number in numbers:
        page.check(f"#number-{number.pk} input[type=checkbox]")
    page.fill("#bulk-target", "0048 791 000 333")
    page.locator("#bulk-redirect button[type=submit]").click()

    results = page.locator(".premium-bulk-results li")
    expect(results).to_have_count(3)
    for number in numbers:
        assert sandbox.number(number.number).appdata == "number=791000333"
        expect(page.locator(f"#number-{number.pk}")).to_contain_text("791\N{NO-BREAK SPACE}000\N{NO-BREAK SPACE}333")
    assert page.problems == [] and page.csp_violations() == []


def test_the_numbers_table_fits_a_1280_px_window(live_server, watched_page, tenant, tenant_admin, premium):
    """Its sticky row actions never cover the Announcement column at 1280 px either."""
    _sandbox, premium_account, _queued = premium
    premium_sync.sync_numbers(premium_account)
    # The widest cells as the demo fills them: a redirect to a mobile number, the presentation not known.
    PremiumNumber.objects.filter(tenant=tenant).update(redirect_to="601123456", presentation="", announcement=None)
    page = watched_page
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, tenant_admin)
    page.goto(f"{live_server.url}/t/{tenant.slug}/premium/")
    widths = page.evaluate("() => [...document.querySelectorAll('.table-scroll, .overflow-auto')].map((b) => [b.scrollWidth, b.clientWidth])")
    assert page.evaluate(LAYOUT_PROBLEMS) == [], widths
