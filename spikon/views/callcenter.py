"""Call center (4.5): agents × campaigns with their memberships, and the live monitor of a campaign.

The agents page reads the synced copy; each toggle changes the membership at the provider
(spikon.services, 4.5.3-4.5.7) and shows the provider's answer in the agent's row. The monitor shows the
snapshot that a task keeps fresh while the campaign is watched (spikon.tasks.refresh_campaign_monitor).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.ids import row_id
from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError
from providers.queueing import queue_after_commit
from spikon import services, sync
from spikon.models import (
    AGENT_FREE,
    CallCenterAgent,
    CallCenterCampaign,
    CampaignMonitorSnapshot,
    agent_state_label,
)
from spikon.services import INCOMING
from spikon.tasks import refresh_campaign_monitor
from spikon.views.overview import page_context, spikon_account

# A snapshot older than this is shown with a warning even if no error was recorded.
MONITOR_STALE_SECONDS = 30


@dataclass(frozen=True)
class MembershipCell:
    campaign: CallCenterCampaign
    incoming: bool
    outgoing: bool


@dataclass(frozen=True)
class AgentRow:
    agent: CallCenterAgent
    cells: list[MembershipCell]
    # Memberships in campaigns the campaign list does not show (4.5.2's own example has such).
    other_incoming: list[int]
    other_outgoing: list[int]
    default_listed: bool
    answer: str = ""
    answer_ok: bool = True


def _row(
    agent: CallCenterAgent, campaigns: list[CallCenterCampaign], answer: str = "", ok: bool = True
) -> AgentRow:
    incoming, outgoing = set(agent.incoming_campaign_ids), set(agent.outgoing_campaign_ids)
    known = {campaign.provider_id for campaign in campaigns}
    return AgentRow(
        agent=agent,
        cells=[
            MembershipCell(campaign, campaign.provider_id in incoming, campaign.provider_id in outgoing)
            for campaign in campaigns
        ],
        other_incoming=sorted(incoming - known),
        other_outgoing=sorted(outgoing - known),
        default_listed=agent.default_outgoing_campaign_id in known,
        answer=answer,
        answer_ok=ok,
    )


def _campaigns(request: TenantRequest) -> list[CallCenterCampaign]:
    return list(CallCenterCampaign.objects.filter(tenant=request.tenant).order_by("provider_id"))


@require_GET
@tenant_view(Role.VIEWER)
def agents(request: TenantRequest) -> HttpResponse:
    campaigns = _campaigns(request)
    rows = [_row(agent, campaigns) for agent in CallCenterAgent.objects.filter(tenant=request.tenant)]
    context = page_context(
        request,
        "callcenter",
        account=spikon_account(request),
        campaigns=campaigns,
        rows=rows,
        sync_resource=sync.CALL_CENTER,
    )
    return render(request, "spikon/callcenter.html", context)


def _row_response(request: TenantRequest, agent: CallCenterAgent, answer: str, ok: bool, status: int = 200):
    """The agent's row with the provider's answer (HTMX), or back to the page with it as a message."""
    if request.htmx:
        context = page_context(request, "callcenter", row=_row(agent, _campaigns(request), answer, ok))
        return render(request, "spikon/callcenter.html#agent-row", context, status=status)
    (messages.success if ok else messages.error)(request, f"{agent.name}: {answer}")
    return redirect(
        reverse("spikon:callcenter", kwargs={"tenant_slug": request.tenant.slug}) + f"#agent-{agent.pk}"
    )


@require_POST
@tenant_view(Role.OPERATOR)
def membership(request: TenantRequest, agent_id: int, campaign_id: int, direction: str) -> HttpResponse:
    """Add the agent to a campaign or remove them (`member` 1 or 0), for inbound or outbound calls."""
    agent = get_object_or_404(CallCenterAgent, pk=agent_id, tenant=request.tenant)
    campaign = get_object_or_404(CallCenterCampaign, pk=campaign_id, tenant=request.tenant)
    member = request.POST.get("member")
    if member not in ("0", "1"):
        return _row_response(request, agent, _("Choose to add or to remove."), ok=False, status=400)
    account = spikon_account(request)
    if account is None or not account.is_configured:
        text = _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        return _row_response(request, agent, text, ok=False, status=400)
    add = member == "1"
    try:
        services.set_membership(account, request.user, agent, campaign, direction=direction, add=add)
    except ProviderError as error:
        return _row_response(request, agent, account.explain(error), ok=False)
    text = (
        _("added to “%(campaign)s” (%(direction)s); SPIKON answered OK.")
        if add
        else _("removed from “%(campaign)s” (%(direction)s); SPIKON answered OK.")
    ) % {"campaign": campaign.name, "direction": _("inbound") if direction == INCOMING else _("outbound")}
    return _row_response(request, agent, text, ok=True)


@require_POST
@tenant_view(Role.OPERATOR)
def default_outgoing(request: TenantRequest, agent_id: int) -> HttpResponse:
    """Set the agent's default outbound campaign (4.5.7)."""
    agent = get_object_or_404(CallCenterAgent, pk=agent_id, tenant=request.tenant)
    chosen = row_id(request.POST.get("campaign", ""))
    campaign = (
        CallCenterCampaign.objects.filter(tenant=request.tenant, pk=chosen).first()
        if chosen is not None
        else None
    )
    if campaign is None:
        return _row_response(request, agent, _("Choose one of the campaigns."), ok=False, status=400)
    account = spikon_account(request)
    if account is None or not account.is_configured:
        text = _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        return _row_response(request, agent, text, ok=False, status=400)
    try:
        services.set_default_outgoing_campaign(account, request.user, agent, campaign)
    except ProviderError as error:
        return _row_response(request, agent, account.explain(error), ok=False)
    text = _("default outbound campaign set to “%(campaign)s”; SPIKON answered OK.") % {
        "campaign": campaign.name
    }
    return _row_response(request, agent, text, ok=True)


def _monitor_context(request: TenantRequest, campaign_id: int) -> dict[str, object]:
    """The campaign's monitor as the last refresh read it, with its age; showing it keeps the campaign
    watched, so that a task goes on refreshing it (no page waits on the provider)."""
    campaign = get_object_or_404(CallCenterCampaign, pk=campaign_id, tenant=request.tenant)
    account = sync.configured_account(request.tenant.pk)
    if account is not None:
        snapshot, start = CampaignMonitorSnapshot.watch(campaign)
        if start:
            queue_after_commit(refresh_campaign_monitor, snapshot.pk)
    else:
        snapshot = CampaignMonitorSnapshot.objects.filter(campaign=campaign).first()
    monitor = snapshot.data if snapshot is not None else None
    # The document never shows a waiting call: the fields met so far get names, any other keeps the provider's.
    labels = {"number": _("Number"), "waiting-time": _("Waiting time")}
    members = [
        {
            **member,
            "state_label": agent_state_label(member.get("state", "")),
            "free": member.get("state") == AGENT_FREE,
        }
        for member in (monitor or {}).get("members", [])
        if isinstance(member, dict)
    ]
    waiting_calls = [
        [(labels.get(key, key), value) for key, value in call.items()]
        for call in (monitor or {}).get("waiting_calls", [])
        if isinstance(call, dict)
    ]
    age = (timezone.now() - snapshot.taken_at).total_seconds() if snapshot and snapshot.taken_at else None
    # Only figures can be stale: before the first, the page says there are none yet (and only that).
    stale = bool(monitor) and (
        bool(snapshot.failing_since) or age is None or age > MONITOR_STALE_SECONDS
    )
    return page_context(
        request,
        "callcenter",
        account=account,
        campaign=campaign,
        snapshot=snapshot,
        monitor=monitor,
        members=members,
        waiting_calls=waiting_calls,
        stale=stale,
        age_seconds=max(int(age or 0), 0),
        refresh_seconds=sync.MONITOR_REFRESH_SECONDS,
    )


@require_GET
@tenant_view(Role.VIEWER)
def monitor(request: TenantRequest, campaign_id: int) -> HttpResponse:
    context = _monitor_context(request, campaign_id)
    template = "spikon/callcenter_monitor.html#monitor" if request.htmx else "spikon/callcenter_monitor.html"
    return render(request, template, context)


@require_GET
@tenant_view(Role.VIEWER)
def wallboard(request: TenantRequest, campaign_id: int) -> HttpResponse:
    """The monitor in large type for a wall screen: its own full-screen template."""
    context = _monitor_context(request, campaign_id)
    template = "spikon/wallboard.html#board" if request.htmx else "spikon/wallboard.html"
    return render(request, template, context)
