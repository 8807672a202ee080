"""Redirect schedules: the list, a schedule with its windows, closed days, the next 14 days' switches
and the switches made; pausing; the question asked after a manual change of a scheduled number."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from premium.models import PremiumNumber
from redirect_schedules import services
from redirect_schedules.forms import ClosedDayForm, ScheduleForm, WindowForm
from redirect_schedules.models import ClosedDay, RedirectSchedule, Switch, Window
from redirect_schedules.timetable import Timetable, holiday_name

PREVIEW = timedelta(days=14)
SWITCHES_SHOWN = 20


def _schedule_or_404(request: TenantRequest, schedule_id: int) -> RedirectSchedule:
    return get_object_or_404(
        RedirectSchedule.objects.select_related("tenant"), pk=schedule_id, tenant=request.tenant
    )


def _context(request: TenantRequest, **extra) -> dict:
    return {"section": "schedules", "can_operate": request.role >= Role.OPERATOR, **extra}


def reason_words(reason: str, detail: str) -> str:
    """Why a setting holds, in the reader's language."""
    if reason == Switch.Reason.HOLIDAY:
        day = date.fromisoformat(detail)
        return _("public holiday: %(name)s") % {"name": holiday_name(day, get_language() or "pl")}
    if reason == Switch.Reason.CLOSED:
        return _("closed day: %(name)s") % {"name": detail}
    if reason == Switch.Reason.WINDOW:
        return _("window %(hours)s") % {"hours": detail}
    return _("outside the windows")


@require_GET
@tenant_view(Role.VIEWER)
def schedule_list(request: TenantRequest) -> HttpResponse:
    last_switch = Prefetch(
        "switches", queryset=Switch.objects.order_by("-made_at", "-id")[:1], to_attr="last"
    )
    schedules = (
        RedirectSchedule.objects.filter(tenant=request.tenant)
        .prefetch_related("numbers", "windows", "closed_days", last_switch)
        .select_related("tenant")
    )
    now = timezone.now()
    rows = []
    for schedule in schedules:
        upcoming = Timetable.of(schedule).switches(now, now + PREVIEW)
        rows.append(
            {
                "schedule": schedule,
                "next": upcoming[0] if upcoming else None,
                "last": schedule.last[0] if schedule.last else None,
            }
        )
    return render(request, "redirect_schedules/list.html", _context(request, rows=rows))


def _edit_response(
    request: TenantRequest, form: ScheduleForm, schedule: RedirectSchedule | None, status: int = 200
):
    return render(
        request,
        "redirect_schedules/edit.html",
        _context(request, form=form, schedule=schedule),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def schedule_new(request: TenantRequest) -> HttpResponse:
    form = ScheduleForm(request.POST or None, tenant=request.tenant)
    if request.method == "GET":
        return _edit_response(request, form, None)
    if not form.is_valid():
        return _edit_response(request, form, None, status=400)
    schedule = form.save()
    audit.record(request.tenant, request.user, "redirect_schedules.create", target=schedule)
    messages.success(
        request, _("Schedule “%(name)s” saved. Add its weekly windows below.") % {"name": schedule.name}
    )
    return redirect("redirect_schedules:detail", tenant_slug=request.tenant.slug, schedule_id=schedule.pk)


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def schedule_edit(request: TenantRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    form = ScheduleForm(request.POST or None, instance=schedule, tenant=request.tenant)
    if request.method == "GET":
        return _edit_response(request, form, schedule)
    if not form.is_valid():
        return _edit_response(request, form, schedule, status=400)
    form.save()
    audit.record(request.tenant, request.user, "redirect_schedules.change", target=schedule)
    messages.success(request, _("Schedule “%(name)s” saved.") % {"name": schedule.name})
    return redirect("redirect_schedules:detail", tenant_slug=request.tenant.slug, schedule_id=schedule.pk)


def _detail_response(
    request: TenantRequest, schedule: RedirectSchedule, status: int = 200, **forms
) -> HttpResponse:
    now = timezone.now()
    timetable = Timetable.of(schedule)
    preview = [
        {"at": at, "setting": setting, "why": reason_words(setting.reason, setting.detail)}
        for at, setting in timetable.switches(now, now + PREVIEW)
    ]
    _due, in_force = timetable.in_force(now)
    switches = [
        {"switch": switch, "why": reason_words(switch.reason, switch.detail)}
        for switch in schedule.switches.all()[:SWITCHES_SHOWN]
    ]
    context = _context(
        request,
        schedule=schedule,
        numbers=schedule.numbers.order_by("number"),
        in_force=in_force,
        in_force_why=reason_words(in_force.reason, in_force.detail),
        preview=preview,
        switches=switches,
        window_form=forms.get("window_form") or WindowForm(),
        closed_day_form=forms.get("closed_day_form") or ClosedDayForm(schedule=schedule),
    )
    return render(request, "redirect_schedules/detail.html", context, status=status)


@require_GET
@tenant_view(Role.VIEWER)
def schedule_detail(request: TenantRequest, schedule_id: int) -> HttpResponse:
    return _detail_response(request, _schedule_or_404(request, schedule_id))


def _back(request: TenantRequest, schedule: RedirectSchedule):
    return redirect("redirect_schedules:detail", tenant_slug=request.tenant.slug, schedule_id=schedule.pk)


def _record_part(
    request: TenantRequest, schedule: RedirectSchedule, action: str, before=None, after=None
) -> None:
    """Audit a window or closed day added to the schedule or deleted from it (`before`/`after`: its text)."""
    field = action.split(".")[1].replace("_", " ")
    audit.record(
        request.tenant,
        request.user,
        action,
        target=schedule,
        changes={field: (None if before is None else str(before), None if after is None else str(after))},
    )


@require_POST
@tenant_view(Role.OPERATOR)
def window_add(request: TenantRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    form = WindowForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, schedule, status=400, window_form=form)
    form.instance.schedule = schedule
    _record_part(request, schedule, "redirect_schedules.window.add", after=form.save())
    return _back(request, schedule)


@require_POST
@tenant_view(Role.OPERATOR)
def window_delete(request: TenantRequest, schedule_id: int, window_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    window = get_object_or_404(Window, pk=window_id, schedule=schedule)
    _record_part(request, schedule, "redirect_schedules.window.delete", before=window)
    window.delete()
    return _back(request, schedule)


@require_POST
@tenant_view(Role.OPERATOR)
def closed_day_add(request: TenantRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    form = ClosedDayForm(request.POST, schedule=schedule)
    if not form.is_valid():
        return _detail_response(request, schedule, status=400, closed_day_form=form)
    _record_part(request, schedule, "redirect_schedules.closed_day.add", after=form.save())
    return _back(request, schedule)


@require_POST
@tenant_view(Role.OPERATOR)
def closed_day_delete(request: TenantRequest, schedule_id: int, closed_day_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    closed = get_object_or_404(ClosedDay, pk=closed_day_id, schedule=schedule)
    _record_part(request, schedule, "redirect_schedules.closed_day.delete", before=closed)
    closed.delete()
    return _back(request, schedule)


@require_POST
@tenant_view(Role.OPERATOR)
def schedule_pause(request: TenantRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    services.pause(schedule, request.user)
    messages.success(
        request, _("Schedule “%(name)s” paused: its numbers keep their redirects.") % {"name": schedule.name}
    )
    return _back(request, schedule)


@require_POST
@tenant_view(Role.OPERATOR)
def schedule_resume(request: TenantRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    services.resume(schedule, request.user)
    messages.success(
        request,
        _("Schedule “%(name)s” runs again: its numbers get the setting in force within a minute.")
        % {"name": schedule.name},
    )
    return _back(request, schedule)


@require_POST
@tenant_view(Role.OPERATOR)
def schedule_delete(request: TenantRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule_or_404(request, schedule_id)
    audit.record(request.tenant, request.user, "redirect_schedules.delete", target=schedule)
    schedule.delete()
    messages.success(
        request, _("Schedule “%(name)s” deleted: its numbers keep their redirects.") % {"name": schedule.name}
    )
    return redirect("redirect_schedules:list", tenant_slug=request.tenant.slug)


@require_GET
@tenant_view(Role.OPERATOR)
def pause_question(request: TenantRequest, number_id: int) -> HttpResponse:
    """After a manual redirect change of a number that follows a schedule: pause the schedule, or let it
    set the number again at its next switch."""
    number = get_object_or_404(PremiumNumber, pk=number_id, tenant=request.tenant)
    schedule = number.redirect_schedules.select_related("tenant").first()
    if schedule is None or schedule.is_paused:
        return redirect("premium:numbers", tenant_slug=request.tenant.slug)
    now = timezone.now()
    upcoming = Timetable.of(schedule).switches(now, now + PREVIEW)
    context = _context(request, number=number, schedule=schedule, next=upcoming[0] if upcoming else None)
    return render(request, "redirect_schedules/pause_question.html", context)
