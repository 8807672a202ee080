"""Snapshots: the list, taking one, what changed (between two, or since one), a rollback's plan and its
confirmation, and the rollback's progress."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts import audit
from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from providers.once import new_action_key
from snapshots import services
from snapshots.capture import current_contents, take
from snapshots.diff import differences
from snapshots.forms import CompareForm, ConfirmForm, PartsForm
from snapshots.models import Part, Rollback, Snapshot
from snapshots.plan import describe_gap, describe_step, make_plan

SNAPSHOTS_SHOWN = 100


def _context(request: TenantRequest, **extra) -> dict:
    return {"section": "snapshots", "can_operate": request.role >= Role.OPERATOR, **extra}


def _snapshot_or_404(request: TenantRequest, snapshot_id: int) -> Snapshot:
    return get_object_or_404(Snapshot, pk=snapshot_id, tenant=request.tenant)


@require_GET
@tenant_view(Role.VIEWER)
def snapshot_list(request: TenantRequest) -> HttpResponse:
    snapshots = Snapshot.objects.filter(tenant=request.tenant).select_related("taken_by")[:SNAPSHOTS_SHOWN]
    rollbacks = Rollback.objects.filter(tenant=request.tenant).order_by("-created_at")[:10]
    context = _context(
        request, snapshots=snapshots, rollbacks=rollbacks, compare_form=CompareForm(tenant=request.tenant)
    )
    return render(request, "snapshots/list.html", context)


@require_POST
@tenant_view(Role.OPERATOR)
def snapshot_take(request: TenantRequest) -> HttpResponse:
    snapshot = take(request.tenant, Snapshot.Reason.ON_DEMAND, user=request.user)
    audit.record(
        request.tenant,
        request.user,
        "snapshots.take",
        object_type="snapshots.snapshot",
        object_id=str(snapshot.pk),
    )
    messages.success(request, _("Snapshot taken."))
    return redirect("snapshots:detail", tenant_slug=request.tenant.slug, snapshot_id=snapshot.pk)


@require_GET
@tenant_view(Role.VIEWER)
def snapshot_detail(request: TenantRequest, snapshot_id: int) -> HttpResponse:
    """The snapshot, and what changed since it was taken."""
    snapshot = _snapshot_or_404(request, snapshot_id)
    contents = snapshot.contents
    context = _context(
        request,
        snapshot=snapshot,
        changes=differences(contents, current_contents(request.tenant)),
        numbers=sorted(contents.get("premium", {}).get("numbers", {}).items()),
        subaccounts=contents.get("sms", {}).get("subaccounts", {}).values(),
        phonebooks=contents.get("spikon", {}).get("phonebooks", {}).values(),
        agents=contents.get("spikon", {}).get("agents", {}).values(),
        parts_form=PartsForm(role=request.role),
    )
    return render(request, "snapshots/detail.html", context)


@require_GET
@tenant_view(Role.VIEWER)
def snapshot_compare(request: TenantRequest) -> HttpResponse:
    form = CompareForm(request.GET, tenant=request.tenant)
    if not form.is_valid():
        return render(request, "snapshots/compare.html", _context(request, form=form), status=400)
    since, to = form.cleaned_data["since"], form.cleaned_data["to"]
    changes = differences(since.contents, to.contents if to else current_contents(request.tenant))
    return render(
        request, "snapshots/compare.html", _context(request, form=form, since=since, to=to, changes=changes)
    )


def _plan_response(request: TenantRequest, snapshot: Snapshot, form, status: int = 200) -> HttpResponse:
    context = _context(request, snapshot=snapshot, form=form)
    if form.is_valid():
        parts = form.cleaned_data["parts"]
        steps, gaps = make_plan(snapshot.contents, current_contents(request.tenant), parts)
        context.update(
            parts=[Part(part).label for part in parts],
            steps=[describe_step(step) for step in steps],
            gaps=[describe_gap(gap) for gap in gaps],
            confirm_form=ConfirmForm(
                initial={"parts": parts, "confirmation": new_action_key()}, role=request.role
            ),
        )
    return render(request, "snapshots/rollback_plan.html", context, status=status)


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def rollback(request: TenantRequest, snapshot_id: int) -> HttpResponse:
    """GET with parts: the plan, each provider call it makes, and what it cannot restore; POST: confirm it."""
    snapshot = _snapshot_or_404(request, snapshot_id)
    if request.method == "GET":
        form = PartsForm(request.GET if "parts" in request.GET else None, role=request.role)
        return _plan_response(
            request, snapshot, form, status=400 if form.is_bound and not form.is_valid() else 200
        )
    form = ConfirmForm(request.POST, role=request.role)
    if not form.is_valid():
        return _plan_response(request, snapshot, PartsForm(request.POST, role=request.role), status=400)
    job = services.confirm_rollback(
        request.tenant, request.user, snapshot, form.cleaned_data["parts"], form.cleaned_data["confirmation"]
    )
    if job is None:
        messages.warning(request, _("This rollback was already confirmed."))
        return redirect("snapshots:list", tenant_slug=request.tenant.slug)
    return redirect("snapshots:rollback-detail", tenant_slug=request.tenant.slug, rollback_id=job.pk)


@require_GET
@tenant_view(Role.VIEWER)
def rollback_detail(request: TenantRequest, rollback_id: int) -> HttpResponse:
    job = get_object_or_404(
        Rollback.objects.select_related("confirmed_by"), pk=rollback_id, tenant=request.tenant
    )
    results = job.results
    steps = [
        {"words": describe_step(step), "result": results[index] if index < len(results) else None}
        for index, step in enumerate(job.steps)
    ]
    context = _context(request, job=job, steps=steps, gaps=[describe_gap(gap) for gap in job.not_restorable])
    if request.htmx:
        response = render(request, "snapshots/rollback.html#progress", context)
        return HttpResponseStopPolling(response.content) if job.is_final else response
    return render(request, "snapshots/rollback.html", context)
