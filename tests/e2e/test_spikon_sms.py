"""SPIKON SMS in the browser: the live counter, review, send, and the log updating in place to "delivered"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Role, Tenant
from conftest import make_member
from provider_api.wsgi_server import serve_in_thread
from spikon.models import SmsMessage, SpikonAccount
from spikon.sandbox import DEMO_API_KEY, demo_app
from spikon.sync import sync_phonebooks
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def served():
    sandbox = demo_app()
    with serve_in_thread(sandbox) as url:
        yield sandbox, url


@pytest.mark.worker
def test_send_an_sms_and_watch_it_reach_delivered(live_server, watched_page, served, real_worker):
    sandbox, url = served
    tenant = Tenant.objects.create(slug="spikon-sms-e2e", name="Firma SMS")
    SpikonAccount.objects.create(tenant=tenant, api_key=DEMO_API_KEY, base_url=url)
    sync_phonebooks(tenant.pk)
    operator = make_member(tenant, "ola-operator", Role.OPERATOR)
    page = watched_page
    log_in(page, live_server, operator)

    page.goto(f"{live_server.url}/t/{tenant.slug}/spikon/sms/send/")
    page.select_option("select[name=sender]", "INFO")
    page.fill("textarea[name=recipients]", "601 000 111")
    # A recipient picked from a phonebook, swapped in place.
    page.select_option("select[name=book]", label="Klienci VIP")
    page.locator("#picker input[name=entries]").first.check()

    counter = page.locator("#sms-counter")
    page.fill("textarea[name=message]", "a" * 161)
    expect(counter).to_contain_text("161 / 918")
    expect(counter).to_contain_text("2 SMS na odbiorcę")
    page.fill("textarea[name=message]", "Zażółć gęślą jaźń: przypomnienie o wizycie jutro o 10:00.")
    expect(counter).to_contain_text("Unicode")
    expect(counter).to_contain_text("1 SMS na odbiorcę")

    page.get_by_role("button", name="Sprawdź i wyślij…").click()
    expect(page.locator("#sms-review")).to_contain_text("2 SMS do opłacenia")
    page.get_by_role("button", name="Wyślij 2 SMS").click()
    page.wait_for_url("**/spikon/sms/?batch=*")
    assert sandbox.request_count("/api/sms/send") == 2

    rows = page.locator("#sms-log tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#sms-log [data-sms-state='accepted/5']")).to_have_count(2, timeout=40_000)
    expect(rows.first).to_contain_text("doręczona")
    assert set(SmsMessage.objects.values_list("delivery", flat=True)) == {5}
    assert page.problems == [] and page.csp_violations() == []
