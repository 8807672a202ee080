"""Call center (4.5): agents × campaigns with their memberships, and the live monitor of a campaign.

The agents page reads the synced copy; each toggle calls the matching provider method from the request
(4.5.3-4.5.7), updates the copy only when the provider says OK, and shows the provider's answer in the
agent's row. The monitor is the exception to "pages read the local copy": see `monitor`.
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

from accounts import audit
from accounts.ids import row_id
from accounts.models import Role
from accounts.provider_errors import explain
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import AlreadyExistsError, NotFoundError, ProviderError
from spikon import sync
from spikon.models import CallCenterAgent, CallCenterCampaign, CampaignMonitorSnapshot
from spikon.views.overview import page_context, spikon_account

INCOMING = "incoming"
OUTGOING = "outgoing"
# The monitor page and the wallboard ask for fresh figures this often (seconds).
MONITOR_REFRESH_SECONDS = 5
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


def _campaign_names(ids: list[int], names: dict[int, str]) -> list[str]:
    return [names.get(campaign_id, f"#{campaign_id}") for campaign_id in sorted(ids)]


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
    client = account.client(in_request=True)
    call = {
        (INCOMING, True): client.add_agent_to_incoming_campaign,
        (INCOMING, False): client.remove_agent_from_incoming_campaign,
        (OUTGOING, True): client.add_agent_to_outgoing_campaign,
        (OUTGOING, False): client.remove_agent_from_outgoing_campaign,
    }[(direction, add)]
    field = "incoming_campaign_ids" if direction == INCOMING else "outgoing_campaign_ids"
    label = _("inbound campaigns") if direction == INCOMING else _("outbound campaigns")
    action = f"spikon.agent.{direction}.{'add' if add else 'remove'}"
    try:
        call(agent.provider_id, campaign.provider_id)
    except ProviderError as error:
        audit.record(
            request.tenant,
            request.user,
            action,
            target=agent,
            object_label=f"{agent.name} – {campaign.name}",
            outcome="failure",
            message=explain(error),
        )
        if isinstance(error, AlreadyExistsError | NotFoundError):
            sync.queue(request.tenant, sync.CALL_CENTER)  # the copy here was out of date: fetch it anew
        return _row_response(request, agent, explain(error), ok=False)
    before = list(getattr(agent, field))
    after = (
        sorted(set(before) | {campaign.provider_id}) if add else sorted(set(before) - {campaign.provider_id})
    )
    setattr(agent, field, after)
    agent.updated_at = timezone.now()
    agent.save(update_fields=[field, "updated_at"])
    names = {row.provider_id: row.name for row in _campaigns(request)}
    audit.record(
        request.tenant,
        request.user,
        action,
        target=agent,
        object_label=f"{agent.name} – {campaign.name}",
        changes={str(label): (_campaign_names(before, names), _campaign_names(after, names))},
    )
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
    action = "spikon.agent.default_outgoing"
    try:
        account.client(in_request=True).set_default_outgoing_campaign(agent.provider_id, campaign.provider_id)
    except ProviderError as error:
        audit.record(
            request.tenant, request.user, action, target=agent, outcome="failure", message=explain(error)
        )
        return _row_response(request, agent, explain(error), ok=False)
    names = {row.provider_id: row.name for row in _campaigns(request)}
    before = agent.default_outgoing_campaign_id
    agent.default_outgoing_campaign_id = campaign.provider_id
    agent.updated_at = timezone.now()
    agent.save(update_fields=["default_outgoing_campaign_id", "updated_at"])
    audit.record(
        request.tenant,
        request.user,
        action,
        target=agent,
        changes={
            "default outbound campaign": (
                names.get(before, f"#{before}") if before is not None else None,
                campaign.name,
            )
        },
    )
    text = _("default outbound campaign set to “%(campaign)s”; SPIKON answered OK.") % {
        "campaign": campaign.name
    }
    return _row_response(request, agent, text, ok=True)


def _monitor_context(request: TenantRequest, campaign_id: int) -> dict[str, object]:
    """The campaign's monitor, read live.

    The one documented exception to "pages read the local copy": a monitor is live data, so this asks the
    provider on every request, with a short timeout and at most once per MONITOR_MIN_INTERVAL whoever
    watches. The answer is kept as the campaign's snapshot; when the provider does not answer, the last
    snapshot is shown with its time and a warning.
    """
    campaign = get_object_or_404(CallCenterCampaign, pk=campaign_id, tenant=request.tenant)
    account = sync.configured_account(request.tenant.pk)
    if account is not None:
        snapshot = sync.monitor_snapshot(account, campaign)
    else:
        snapshot = CampaignMonitorSnapshot.objects.filter(campaign=campaign).first()
    monitor = snapshot.data if snapshot is not None else None
    # The document never shows a waiting call: the fields met so far get names, any other keeps the provider's.
    labels = {"number": _("Number"), "waiting-time": _("Waiting time")}
    waiting_calls = [
        [(labels.get(key, key), value) for key, value in call.items()]
        for call in (monitor or {}).get("waiting_calls", [])
        if isinstance(call, dict)
    ]
    stale = snapshot is not None and (
        bool(snapshot.failing_since)
        or snapshot.taken_at is None
        or (timezone.now() - snapshot.taken_at).total_seconds() > MONITOR_STALE_SECONDS
    )
    return page_context(
        request,
        "callcenter",
        account=account,
        campaign=campaign,
        snapshot=snapshot,
        monitor=monitor,
        waiting_calls=waiting_calls,
        stale=stale,
        refresh_seconds=MONITOR_REFRESH_SECONDS,
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
