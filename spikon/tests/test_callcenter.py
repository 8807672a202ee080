"""Call center pages: the agents × campaigns matrix with its toggles, and the live monitor and wallboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, SyncStatus
from spikon import sync, tasks
from spikon.models import CallCenterAgent, CallCenterCampaign, CampaignMonitorSnapshot
from tests.faults import recording_queued_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def synced(spikon_account, sandbox):
    sync.sync_call_center(spikon_account.tenant_id)
    return spikon_account


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"spikon:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def agent(provider_id: int) -> CallCenterAgent:
    return CallCenterAgent.objects.get(tenant__slug="acme", provider_id=provider_id)


def campaign(provider_id: int) -> CallCenterCampaign:
    return CallCenterCampaign.objects.get(tenant__slug="acme", provider_id=provider_id)


# --- the matrix --------------------------------------------------------------------------------------------


def test_the_agents_page_shows_agents_by_campaigns_in_constant_queries(
    login, viewer, operator, synced, django_assert_max_num_queries
):
    client = login(operator)
    with django_assert_max_num_queries(12) as few:
        page = client.get(url("callcenter", synced.tenant))
    text = page.content.decode()
    assert page.status_code == 200 and "Janina Kowalska" in text and "Windykacja" in text
    assert text.count('aria-pressed="true"') == 2 + 3 + 1 + 3 + 1  # the demo agents' memberships
    assert 'id="sync-spikon-callcenter"' in text
    for number in range(40):
        CallCenterAgent.objects.create(
            tenant=synced.tenant, provider_id=100 + number, name=f"A{number}", incoming_campaign_ids=[1]
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("callcenter", synced.tenant))

    readonly = login(viewer).get(url("callcenter", synced.tenant)).content.decode()
    assert "aria-pressed" not in readonly and "Inbound: yes" in readonly


def test_adding_to_an_inbound_campaign_updates_the_row_in_place(login, operator, synced, sandbox):
    marta, debt = agent(3), campaign(2)
    response = login(operator).post(
        url("callcenter-inbound", synced.tenant, agent_id=marta.pk, campaign_id=debt.pk),
        {"member": "1"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith(f'<tr id="agent-{marta.pk}"')
    assert "SPIKON answered OK" in text
    marta.refresh_from_db()
    assert marta.incoming_campaign_ids == [1, 2]
    assert [a.incoming_campaign_ids for a in synced.client(in_request=True).call_center_agents() if a.id == 3] == [(1, 2)]
    event = AuditEvent.objects.get(action="spikon.agent.incoming.add")
    assert event.changes == {"inbound campaigns": [["Infolinia"], ["Infolinia", "Windykacja"]]}


def test_removing_from_an_outbound_campaign_without_javascript_redirects_with_the_answer(
    login, operator, synced, sandbox
):
    pawel, hotline = agent(4), campaign(1)
    client = login(operator)
    response = client.post(
        url("callcenter-outbound", synced.tenant, agent_id=pawel.pk, campaign_id=hotline.pk), {"member": "0"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#agent-{pawel.pk}")
    pawel.refresh_from_db()
    assert pawel.outgoing_campaign_ids == [2]
    page = client.get(response["Location"]).content.decode()
    assert "removed from “Infolinia” (outbound); SPIKON answered OK" in page


def test_the_providers_refusal_is_shown_in_the_row_and_the_copy_is_refreshed(
    login, operator, synced, sandbox, django_capture_on_commit_callbacks
):
    janina, hotline = agent(1), campaign(1)
    # The local copy is out of date: the provider has Janina in campaign 1 already.
    CallCenterAgent.objects.filter(pk=janina.pk).update(incoming_campaign_ids=[])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = login(operator).post(
            url("callcenter-inbound", synced.tenant, agent_id=janina.pk, campaign_id=hotline.pk),
            {"member": "1"},
            HTTP_HX_REQUEST="true",
        )
    text = response.content.decode()
    assert response.status_code == 200 and "notice-error" in text and "Already exist" in text
    janina.refresh_from_db()
    assert janina.incoming_campaign_ids == []  # nothing changed here on failure
    assert len(queued) == 1 and SyncStatus.objects.get(resource="callcenter").queued_at is not None
    assert AuditEvent.objects.get(action="spikon.agent.incoming.add").outcome == "failure"


def test_setting_the_default_outbound_campaign(login, operator, synced, sandbox):
    marta, debt = agent(3), campaign(2)
    response = login(operator).post(
        url("callcenter-default-outbound", synced.tenant, agent_id=marta.pk),
        {"campaign": str(debt.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert (
        response.status_code == 200
        and "default outbound campaign set to “Windykacja”" in response.content.decode()
    )
    marta.refresh_from_db()
    assert marta.default_outgoing_campaign_id == 2
    assert [a.default_outgoing_campaign_id for a in synced.client(in_request=True).call_center_agents() if a.id == 3] == [2]
    assert AuditEvent.objects.get(action="spikon.agent.default_outgoing").changes == {
        "default outbound campaign": [None, "Windykacja"]
    }


@pytest.mark.parametrize("data", [{}, {"member": "2"}])
def test_a_toggle_without_a_clear_choice_is_refused(login, operator, synced, sandbox, data):
    response = login(operator).post(
        url("callcenter-inbound", synced.tenant, agent_id=agent(1).pk, campaign_id=campaign(2).pk),
        data,
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422 and "Choose to add or to remove" in response.content.decode()
    assert sandbox.request_count("/api/cc_in_campaign/add_agent") == 0


@pytest.mark.parametrize("choice", ["", "abc", "999999"])
def test_a_default_campaign_must_be_one_of_the_tenants(login, operator, synced, sandbox, choice):
    response = login(operator).post(
        url("callcenter-default-outbound", synced.tenant, agent_id=agent(1).pk), {"campaign": choice}
    )
    assert response.status_code == 302 and sandbox.request_count("/api/cc_out_campaign/set_default") == 0


def test_toggles_hide_other_tenants_and_need_the_operator_role(login, viewer, operator, synced, other_tenant):
    theirs_agent = CallCenterAgent.objects.create(tenant=other_tenant, provider_id=1, name="X")
    theirs_campaign = CallCenterCampaign.objects.create(tenant=other_tenant, provider_id=1, name="Y")
    client = login(operator)
    # Another tenant's agent or campaign under this tenant's URL: 404 (no IDOR).
    assert (
        client.post(
            url("callcenter-inbound", synced.tenant, agent_id=theirs_agent.pk, campaign_id=campaign(1).pk),
            {"member": "1"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            url("callcenter-inbound", synced.tenant, agent_id=agent(1).pk, campaign_id=theirs_campaign.pk),
            {"member": "1"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            url("callcenter-default-outbound", synced.tenant, agent_id=theirs_agent.pk), {"campaign": "1"}
        ).status_code
        == 404
    )
    assert (
        client.get(url("callcenter-monitor", synced.tenant, campaign_id=theirs_campaign.pk)).status_code
        == 404
    )
    assert (
        client.get(
            url("callcenter-inbound", synced.tenant, agent_id=agent(1).pk, campaign_id=campaign(1).pk)
        ).status_code
        == 405
    )
    viewer_client = login(viewer)
    assert (
        viewer_client.post(
            url("callcenter-outbound", synced.tenant, agent_id=agent(1).pk, campaign_id=campaign(1).pk),
            {"member": "1"},
        ).status_code
        == 403
    )


# --- the monitor -------------------------------------------------------------------------------------------


def _screen(viewer) -> Client:
    screen = Client(HTTP_ACCEPT_LANGUAGE="en")
    screen.force_login(viewer)
    return screen


def test_monitor_pages_never_wait_on_spikon_and_share_one_call_per_refresh(
    viewer, synced, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    """SPIKON is slow; three screens watch one campaign: no page asks SPIKON, one task per refresh does."""
    sandbox.latency_seconds = 1.0
    hotline = campaign(1)
    page_url = url("callcenter-monitor", synced.tenant, campaign_id=hotline.pk)
    screens = [_screen(viewer) for _ in range(3)]

    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        pages = [screen.get(page_url) for screen in screens]
        pages += [screen.get(page_url, HTTP_HX_REQUEST="true") for screen in screens]

    assert [page.status_code for page in pages] == [200] * 6
    assert "No figures from SPIKON yet." in pages[0].content.decode()
    assert sandbox.request_count("/api/cc_monitor/show") == 0, "no page waited on SPIKON"
    snapshot = CampaignMonitorSnapshot.objects.get(campaign=hotline)
    assert queued.sent == [("spikon.tasks.refresh_campaign_monitor", (snapshot.pk,))], "one refresh, all screens"

    # The worker's refresh: one call to SPIKON, and the next refresh planned while the campaign is watched.
    with recording_queued_tasks(monkeypatch) as queued:
        tasks.refresh_campaign_monitor(snapshot.pk)
    assert sandbox.request_count("/api/cc_monitor/show") == 1
    assert queued.names() == ["spikon.tasks.refresh_campaign_monitor"]

    # The screens poll again: they show the snapshot and its age, and ask nothing of SPIKON.
    with recording_queued_tasks(monkeypatch) as again, django_capture_on_commit_callbacks(execute=True):
        texts = [screen.get(page_url, HTTP_HX_REQUEST="true").content.decode() for screen in screens]
    assert all("Janina Kowalska" in text and re.search(r"\(\d seconds? ago\)", text) for text in texts)
    assert again.sent == [] and sandbox.request_count("/api/cc_monitor/show") == 1

    # The next refresh (its time come): again one call, however many screens watch.
    CampaignMonitorSnapshot.objects.filter(pk=snapshot.pk).update(
        last_attempt_at=timezone.now() - timedelta(seconds=10)
    )
    with recording_queued_tasks(monkeypatch):
        tasks.refresh_campaign_monitor(snapshot.pk)
        tasks.refresh_campaign_monitor(snapshot.pk)  # a second chain (a re-armed lost message) asks nothing
    assert sandbox.request_count("/api/cc_monitor/show") == 2


def _refreshed(campaign_row: CallCenterCampaign) -> None:
    """What the worker does while the campaign is watched: one refresh, now."""
    snapshot = CampaignMonitorSnapshot.objects.get(campaign=campaign_row)
    CampaignMonitorSnapshot.objects.filter(pk=snapshot.pk).update(last_attempt_at=None)
    sync.refresh_monitor(snapshot.pk)


def test_the_monitor_shows_the_figures_and_refreshes_in_place(login, viewer, synced, sandbox):
    hotline = campaign(1)
    client = login(viewer)
    client.get(url("callcenter-monitor", synced.tenant, campaign_id=hotline.pk))
    _refreshed(hotline)
    page = client.get(url("callcenter-monitor", synced.tenant, campaign_id=hotline.pk))
    text = page.content.decode()
    assert page.status_code == 200 and "Janina Kowalska" in text and 'hx-trigger="every 5s"' in text
    assert 'data-figure="answered"' in text and "Marta Zielińska" in text

    partial = client.get(
        url("callcenter-monitor", synced.tenant, campaign_id=hotline.pk), HTTP_HX_REQUEST="true"
    )
    assert (
        partial.status_code == 200
        and b"<html" not in partial.content
        and b'id="campaign-monitor"' in partial.content
    )
    assert sandbox.request_count("/api/cc_monitor/show") == 1


def test_the_monitor_keeps_showing_the_last_figures_with_a_warning(login, viewer, synced, sandbox):
    hotline = campaign(1)
    client = login(viewer)
    client.get(url("callcenter-monitor", synced.tenant, campaign_id=hotline.pk))
    _refreshed(hotline)
    sandbox.set_fault("/api/cc_monitor/show", "500")
    _refreshed(hotline)

    stale = client.get(
        url("callcenter-monitor", synced.tenant, campaign_id=hotline.pk), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "is not answering since" in stale and "Janina Kowalska" in stale and "HTTP 500" in stale

    wallboard = client.get(
        url("callcenter-wallboard", synced.tenant, campaign_id=hotline.pk)
    ).content.decode()
    assert "spikon-wallboard-warning" in wallboard and "Janina Kowalska" in wallboard


def test_an_old_snapshot_is_marked_not_fresh(login, viewer, tenant):
    hotline = CallCenterCampaign.objects.create(tenant=tenant, provider_id=1, name="Infolinia")
    CampaignMonitorSnapshot.objects.create(
        campaign=hotline,
        data={"free_agents": 1, "members": [], "waiting_calls": []},
        taken_at=timezone.now() - timedelta(minutes=5),
    )
    # No account configured: nothing is asked, the last snapshot is shown as it is.
    text = login(viewer).get(url("callcenter-monitor", tenant, campaign_id=hotline.pk)).content.decode()
    assert "not fresh" in text and 'data-figure="free">1<' in text


def test_agent_states_read_in_the_viewers_language(login, viewer, tenant):
    hotline = CallCenterCampaign.objects.create(tenant=tenant, provider_id=1, name="Infolinia")
    member = {"sip_login": "1", "answered": 0, "last_call": None, "on_pause": False, "skill": "1"}
    CampaignMonitorSnapshot.objects.create(
        campaign=hotline,
        data={
            "members": [
                {**member, "description": "Janina Kowalska", "state": "Wolny"},
                {**member, "description": "Adam Nowacki", "state": "Rozmowa"},
                {**member, "description": "Ewa Lis", "state": "Dzwoni <b>"},  # a state the document never named
            ],
            "waiting_calls": [],
        },
        taken_at=timezone.now(),
    )
    client = login(viewer)
    pages = {
        (name, language): client.get(
            url(name, tenant, campaign_id=hotline.pk), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        for name in ("callcenter-monitor", "callcenter-wallboard")
        for language in ("en", "pl")
    }

    for name in ("callcenter-monitor", "callcenter-wallboard"):
        english, polish = pages[name, "en"], pages[name, "pl"]
        assert ">free<" in english and ">on a call<" in english
        assert ">Wolny<" not in english and ">Rozmowa<" not in english
        assert ">Wolny<" in polish and ">Rozmowa<" in polish  # the provider's own words
        assert "Dzwoni &lt;b&gt;" in english and "Dzwoni <b>" not in english
    free = re.search(r'<tr class="([^"]*)">\s*<th scope="row">Janina', pages["callcenter-wallboard", "en"])
    assert free and free.group(1) == "spikon-wallboard-free"


def test_the_wallboard_is_its_own_full_screen_page(login, viewer, synced, sandbox):
    hotline = campaign(1)
    client = login(viewer)
    first = client.get(url("callcenter-wallboard", synced.tenant, campaign_id=hotline.pk)).content.decode()
    # Before SPIKON gave any figure, one message says so (not also that the figures are not fresh).
    assert "No figures from SPIKON yet." in first and "not fresh" not in first
    assert first.count("spikon-wallboard-warning") == 1
    assert 'class="in-tenant spikon-wallboard-body"' in first
    _refreshed(hotline)
    page = client.get(url("callcenter-wallboard", synced.tenant, campaign_id=hotline.pk))
    text = page.content.decode()
    assert page.status_code == 200 and "spikon-wallboard-figure" in text and "site-header" not in text
    assert 'style="' not in text and "<script>" not in text
    partial = client.get(
        url("callcenter-wallboard", synced.tenant, campaign_id=hotline.pk), HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200 and partial.content.decode().lstrip().startswith('<div id="wallboard"')
    assert client.post(url("callcenter-wallboard", synced.tenant, campaign_id=hotline.pk)).status_code == 405
