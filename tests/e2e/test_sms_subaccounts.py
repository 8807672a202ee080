"""SerwerSMS.pl in the browser: create a subaccount from a template, set two limits, delete it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent, Role, Tenant
from conftest import make_member
from provider_api.wsgi_server import serve_in_thread
from sms.models import SerwerSmsAccount, Subaccount, SubaccountLimit
from sms.sandbox import DEMO_TEMPLATE_ID, DEMO_TOKEN, demo_app
from sms.sync import sync_subaccounts
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def served():
    """The demo sandbox on a loopback port: (sandbox, base URL)."""
    sandbox = demo_app()
    with serve_in_thread(sandbox) as url:
        yield sandbox, url


@pytest.fixture
def sandbox(served):
    return served[0]


@pytest.fixture
def tenant_with_account(transactional_db, served):
    tenant = Tenant.objects.create(slug="sms-e2e", name="Firma SMS")
    SerwerSmsAccount.objects.create(tenant=tenant, api_token=DEMO_TOKEN, base_url=served[1])
    sync_subaccounts(tenant.pk)
    return tenant


def test_create_from_a_template_set_two_limits_and_delete(
    live_server, watched_page, sandbox, tenant_with_account
):
    page = watched_page
    tenant = tenant_with_account
    admin = make_member(tenant, "ala-admin", Role.ADMIN)
    log_in(page, live_server, admin)
    page.goto(f"{live_server.url}/t/{tenant.slug}/sms/")
    assert page.locator("#subaccount-list tbody tr").count() == 5

    # Create from the template; the generated password is shown once afterwards.
    page.locator("main a[href$='/sms/subaccounts/new/']").click()
    template = Subaccount.objects.get(tenant=tenant, provider_id=DEMO_TEMPLATE_ID)
    page.select_option("select[name=template]", value=str(template.pk))
    assert page.locator("select[name=template] option:checked").inner_text().startswith("szablon (ID 1100)")
    page.fill("input[name=login]", "nowy.handlowiec")
    page.locator("[data-generate-password]").click()
    password = page.input_value("input[name=password]")
    assert len(password) == 16
    page.fill("input[name=name]", "Nowy Handlowiec")
    page.fill("input[name=phone]", "500600700")
    page.fill("input[name=email]", "handlowiec@example.pl")
    page.locator("main form[data-submit-once] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("code.secret-once").inner_text() == password
    created = Subaccount.objects.get(tenant=tenant, login="nowy.handlowiec")
    assert sandbox.password_matches(created.provider_id, password)

    # Two limits, each swapped in place.
    page.locator(f"main a[href$='/sms/subaccounts/{created.pk}/']").first.click()
    page.wait_for_url(f"**/sms/subaccounts/{created.pk}/")
    page.fill("#limit-eco input[name=value]", "300")
    page.locator("#limit-eco button[type=submit]").click()
    page.locator("#limits .notice-success").wait_for()
    page.fill("#limit-voice input[name=value]", "20")
    page.locator("#limit-voice button[type=submit]").click()
    page.locator("#limit-voice td.numeric", has_text="20").wait_for()
    assert page.locator("#limit-eco td.numeric").inner_text() == "300"
    assert admin.username in page.locator("#limit-voice").inner_text()
    assert sandbox.limits(created.provider_id) == {"eco": 300, "voice": 20}
    assert SubaccountLimit.objects.filter(subaccount=created).count() == 2

    # Delete: the button waits for the login to be typed.
    delete_button = page.locator("button[data-confirm-button]")
    assert delete_button.is_disabled()
    page.fill("input[name=confirm_login]", "nowy.handlowie")
    assert delete_button.is_disabled()
    page.fill("input[name=confirm_login]", "nowy.handlowiec")
    assert delete_button.is_enabled()
    delete_button.click()
    page.wait_for_url(f"**/t/{tenant.slug}/sms/")
    assert page.locator(".notice-success").count() == 1
    assert page.locator("#subaccount-list").get_by_text("nowy.handlowiec").count() == 0
    assert sandbox.subaccount(created.provider_id) is None

    actions = list(AuditEvent.objects.filter(tenant=tenant).order_by("id").values_list("action", flat=True))
    assert actions == [
        "sms.subaccount.create",
        "sms.subaccount.limit",
        "sms.subaccount.limit",
        "sms.subaccount.delete",
    ]
    assert page.problems == [] and page.csp_violations() == []


def test_account_page_and_search_work_in_polish(live_server, watched_page, sandbox, tenant_with_account):
    page = watched_page
    tenant = tenant_with_account
    admin = make_member(tenant, "olek-admin", Role.ADMIN)
    log_in(page, live_server, admin)
    page.goto(f"{live_server.url}/t/{tenant.slug}/sms/")
    page.select_option("select[name=language]", "pl")
    page.wait_for_load_state()
    assert page.locator("main h1").inner_text() == "Subkonta SerwerSMS.pl"
    page.fill("input[name=q]", "krak")
    expect(page.locator("#subaccount-list tbody tr")).to_have_count(1)
    assert "q=krak" in page.url  # the search is in the address, so it can be shared and reloaded
    assert "biuro.krakow" in page.locator("#subaccount-list").inner_text()

    page.locator(".subnav a[href$='/sms/account/']").click()
    page.wait_for_url("**/sms/account/")
    # Only the chosen sign-in method's fields show.
    assert page.locator("input[name=api_token]").is_visible()
    assert not page.locator("input[name=api_username]").is_visible()
    page.check("input[name=auth_method][value=api_user]")
    assert page.locator("input[name=api_username]").is_visible()
    page.check("input[name=auth_method][value=token]")
    page.get_by_role("button", name="Sprawdź połączenie").click()
    expect(page.locator("#connection-result")).to_contain_text(
        "Połączenie działa: dostawca zwraca 5 subkont."
    )
    assert DEMO_TOKEN not in page.content()
    assert page.problems == [] and page.csp_violations() == []
