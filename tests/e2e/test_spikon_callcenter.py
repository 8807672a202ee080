"""SPIKON call center in the browser: toggle an agent's campaign membership in place, then watch the live
monitor update and open the wallboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent, Role, Tenant
from conftest import make_member
from provider_api.wsgi_server import serve_in_thread
from spikon.models import CallCenterAgent, CallCenterCampaign, SpikonAccount
from spikon.sandbox import DEMO_API_KEY, demo_app
from spikon.sync import sync_call_center
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def served():
    sandbox = demo_app()
    with serve_in_thread(sandbox) as url:
        yield sandbox, url


@pytest.fixture
def tenant_with_account(transactional_db, served):
    tenant = Tenant.objects.create(slug="spikon-cc", name="Firma SPIKON")
    SpikonAccount.objects.create(tenant=tenant, api_key=DEMO_API_KEY, base_url=served[1])
    sync_call_center(tenant.pk)
    return tenant


def test_toggle_a_membership_then_watch_the_monitor(
    live_server, watched_page, served, tenant_with_account, real_worker
):
    sandbox = served[0]
    page = watched_page
    tenant = tenant_with_account
    log_in(page, live_server, make_member(tenant, "ola-operator", Role.OPERATOR))
    marta = CallCenterAgent.objects.get(tenant=tenant, name="Marta Zielińska")
    debt = CallCenterCampaign.objects.get(tenant=tenant, name="Windykacja")

    page.goto(f"{live_server.url}/t/{tenant.slug}/spikon/callcenter/")
    row = page.locator(f"#agent-{marta.pk}")
    toggle = row.locator(f"form[action$='/inbound/{debt.pk}/'] button")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    # The row is swapped in place with the provider's answer; the page itself did not reload.
    expect(row.locator(".spikon-answer")).to_contain_text("SPIKON odpowiedział OK")
    expect(row.locator(f"form[action$='/inbound/{debt.pk}/'] button")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert page.url.endswith("/spikon/callcenter/")
    marta.refresh_from_db()
    assert marta.incoming_campaign_ids == [1, 2]
    assert 3 in [agent.id for agent in sandbox_agents(sandbox) if 2 in agent.incoming]
    assert AuditEvent.objects.filter(tenant=tenant, action="spikon.agent.incoming.add").count() == 1

    # The default outbound campaign: a select that submits itself and swaps the row. Wait until htmx
    # has settled the swapped row (and so enhanced its forms), as a person's next click would.
    expect(row).not_to_have_class(re.compile(r"htmx-(added|settling|swapping)"))
    row.locator("select[name=campaign]").select_option(str(debt.pk))
    expect(row.locator(".spikon-answer")).to_contain_text(
        "domyślna kampania wychodząca to teraz „Windykacja”"
    )
    marta.refresh_from_db()
    assert marta.default_outgoing_campaign_id == 2

    # The live monitor refreshes in place: the worker reads SPIKON while the page watches.
    hotline = CallCenterCampaign.objects.get(tenant=tenant, name="Infolinia")
    page.goto(f"{live_server.url}/t/{tenant.slug}/spikon/callcenter/campaigns/{hotline.pk}/monitor/")
    # The first figures come with the page's first poll after the worker's first refresh.
    expect(page.locator("#campaign-monitor")).to_contain_text("Janina Kowalska", timeout=15_000)
    first = page.locator(".spikon-monitor-time time").get_attribute("datetime")
    expect(page.locator(".spikon-monitor-time time")).not_to_have_attribute("datetime", first, timeout=12_000)
    assert sandbox.request_count("/api/cc_monitor/show") >= 2

    page.locator(f"a[href$='/campaigns/{hotline.pk}/wallboard/']").first.click()
    page.wait_for_url("**/wallboard/")
    expect(page.locator(".spikon-wallboard-figure strong[data-figure=answered]")).to_be_visible()
    assert page.locator("header.site-header").count() == 0
    assert page.problems == [] and page.csp_violations() == []


def sandbox_agents(sandbox):
    with sandbox._lock:
        return list(sandbox._agents.values())
