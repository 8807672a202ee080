"""Call history (4.4): ordering reports and following them, browsing and exporting the stored calls.

A report is asked for once (call_list/order, spikon.services) and then followed by Celery
(spikon.tasks.poll_call_history_report); its page shows the progress and updates in place until it ends.
The calls page reads only the stored calls: filters, keyset pages and a streamed CSV of the filtered set.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.models import Role
from accounts.pagination import keyset_page
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError, UnavailableError
from providers.csv_export import Column, csv_response
from providers.queueing import queue_after_commit
from spikon import services
from spikon.client import CALL_HISTORY_MAX_DAYS, CALL_HISTORY_REPORT_LIFETIME
from spikon.forms import POLISH_NUMBER, CallFilterForm, ReportOrderForm
from spikon.models import CALL_STATES, CallDirection, CallHistoryReport, CallRecord, call_state_label
from spikon.tables import call_rows
from spikon.tasks import poll_call_history_report
from spikon.views.overview import page_context, spikon_account

CALLS_PER_PAGE = 50
REPORTS_PER_PAGE = 20
# How many distinct call states the filter offers (the provider's own words, e.g. "Odebrane").
STATE_CHOICES_LIMIT = 50


def number_variants(number: str) -> list[str]:
    """The ways one number may be written in the provider's data: "+48601234567" is also "601234567",
    "48601234567" and "0048601234567". Exact values, so that the filter stays on the number indexes."""
    variants = {number, number.lstrip("+")}
    polish = POLISH_NUMBER.fullmatch(number)
    if polish:
        national = polish.group(1)
        variants |= {national, f"48{national}", f"+48{national}", f"0048{national}"}
    return sorted(variants)


def filtered_calls(request: TenantRequest, form: CallFilterForm) -> QuerySet[CallRecord]:
    """The tenant's calls narrowed by a valid filter form; an invalid one shows none."""
    calls = CallRecord.objects.filter(tenant=request.tenant)
    if not form.is_bound:
        return calls
    if not form.is_valid():
        return calls.none()
    data = form.cleaned_data
    zone = timezone.get_current_timezone()
    if data["date_from"]:
        calls = calls.filter(started_at__gte=datetime.combine(data["date_from"], time.min, zone))
    if data["date_to"]:
        calls = calls.filter(
            started_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, zone)
        )
    if data["number"]:
        variants = number_variants(data["number"])
        calls = calls.filter(Q(source__in=variants) | Q(destination__in=variants))
    if data["direction"] == CallFilterForm.DIRECTION_UNKNOWN:
        calls = calls.filter(direction__isnull=True)
    elif data["direction"]:
        calls = calls.filter(direction=int(data["direction"]))
    if data["state"]:
        calls = calls.filter(state=data["state"])
    if data["recording"]:
        calls = calls.filter(has_recording=data["recording"] == "yes")
    return calls


@require_GET
@tenant_view(Role.VIEWER)
def calls(request: TenantRequest) -> HttpResponse:
    form = CallFilterForm(request.GET or None)
    page = keyset_page(
        filtered_calls(request, form),
        request.GET.get("after"),
        fields=("started_at", "id"),
        per_page=CALLS_PER_PAGE,
    )
    query = request.GET.copy()
    query.pop("after", None)
    states = call_states(request.tenant.pk)
    context = page_context(
        request,
        "history",
        account=spikon_account(request),
        form=form,
        page=page,
        call_rows=call_rows(request, page.items),
        filter_query=query.urlencode(),
        states=[{"code": state, "label": call_state_label(state)} for state in states],
        active_reports=CallHistoryReport.objects.filter(tenant=request.tenant)
        .exclude(state__in=CallHistoryReport.FINAL_STATES)
        .count(),
    )
    template = "spikon/history.html#call-results" if request.htmx else "spikon/history.html"
    return render(request, template, context)


def call_states(tenant_id: int) -> list[str]:
    """The distinct states of the tenant's calls, for the filter.

    A DISTINCT would read every call; this walks the (tenant, state) index from one state to the next
    (a "loose index scan"), a handful of index lookups however many calls there are.
    """
    table = connection.ops.quote_name(CallRecord._meta.db_table)
    sql = f"""
        WITH RECURSIVE states(state) AS (
            SELECT MIN(state) FROM {table} WHERE tenant_id = %s
            UNION ALL
            SELECT (SELECT MIN(state) FROM {table} WHERE tenant_id = %s AND state > states.state)
            FROM states WHERE states.state IS NOT NULL
        )
        SELECT state FROM states WHERE state IS NOT NULL LIMIT %s
    """  # noqa: S608 - only the table name is formatted in, from the model
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, tenant_id, STATE_CHOICES_LIMIT])
        return [row[0] for row in cursor.fetchall()]


@require_GET
@tenant_view(Role.VIEWER)
def export_calls(request: TenantRequest) -> HttpResponse:
    """The filtered calls as CSV, streamed row by row: any number of rows in constant memory."""
    form = CallFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            _("The filter is not valid; nothing to export."), status=400, content_type="text/plain"
        )
    calls = filtered_calls(request, form).order_by("-started_at", "-id")
    zone = timezone.get_current_timezone()

    def rows() -> Iterator[list[object]]:
        for call in calls.iterator(chunk_size=2000):
            recording = (
                call.recording_file_name if call.recording_is_ftp else ("1" if call.has_recording else "")
            )
            yield [
                timezone.localtime(call.started_at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                call.direction,
                call.source,
                call.destination,
                call.duration_seconds,
                call.state,
                recording,
            ]

    columns = [
        Column("started_at", _("Start")),
        Column(
            "direction", _("Direction"), labels={str(value): label for value, label in CallDirection.choices}
        ),
        Column("source", _("From")),
        Column("destination", _("To")),
        Column("duration_seconds", _("Duration (s)")),
        Column("state", _("State"), labels={code: str(label) for code, label in CALL_STATES.items()}),
        Column("recording", _("Recording"), labels={"1": _("yes")}),
    ]
    filename = f"calls-{request.tenant.slug}-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(request, filename, columns, rows())


def _reports_context(
    request: TenantRequest, form: ReportOrderForm | None = None, **extra
) -> dict[str, object]:
    reports = CallHistoryReport.objects.filter(tenant=request.tenant).select_related("ordered_by")
    page = keyset_page(reports, request.GET.get("after"), per_page=REPORTS_PER_PAGE)
    today = timezone.localdate()
    return page_context(
        request,
        "history",
        account=spikon_account(request),
        form=form or ReportOrderForm(initial={"date_start": today - timedelta(days=6), "date_end": today}),
        page=page,
        any_active=any(not report.is_done for report in page.items),
        max_days=CALL_HISTORY_MAX_DAYS,
        **extra,
    )


@require_GET
@tenant_view(Role.VIEWER)
def reports(request: TenantRequest) -> HttpResponse:
    """The ordered reports (newest first) and, for operators, the order form. The list polls while a
    report on it is still running, and stops once none is."""
    context = _reports_context(request)
    if request.htmx:
        response_class = HttpResponse if context["any_active"] else HttpResponseStopPolling
        return response_class(render_to_string("spikon/history_reports.html#report-list", context, request))
    return render(request, "spikon/history_reports.html", context)


@require_POST
@tenant_view(Role.OPERATOR)
def order_report(request: TenantRequest) -> HttpResponse:
    form = ReportOrderForm(request.POST)
    if not form.is_valid():
        return render(request, "spikon/history_reports.html", _reports_context(request, form), status=400)
    account = spikon_account(request)
    if account is None or not account.is_configured:
        form.add_error(
            None, _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        )
        return render(request, "spikon/history_reports.html", _reports_context(request, form), status=400)
    try:
        report = services.order_call_history(account, request.user, **form.cleaned_data)
    except ProviderError as error:
        if isinstance(error, UnavailableError) and error.outcome_unknown:
            form.add_error(
                None,
                _(
                    "Outcome unknown: the provider did not answer in time, it may have taken the order. "
                    "Nothing is followed here; order again if no report appears."
                ),
            )
        form.add_error(None, account.explain(error))
        return render(request, "spikon/history_reports.html", _reports_context(request, form), status=400)
    messages.success(
        request, _("Report ordered. Its calls are stored here as soon as the provider has generated it.")
    )
    return redirect("spikon:history-report", tenant_slug=request.tenant.slug, report_id=report.pk)


def _report_or_404(request: TenantRequest, report_id: int) -> CallHistoryReport:
    return get_object_or_404(CallHistoryReport, pk=report_id, tenant=request.tenant)


def _can_fetch_again(report: CallHistoryReport) -> bool:
    """A stored report may be fetched again while the provider still keeps it (4.4.1: a month)."""
    return (
        report.state == CallHistoryReport.State.STORED
        and report.generated_at is not None
        and timezone.now() - report.generated_at < CALL_HISTORY_REPORT_LIFETIME
    )


@require_GET
@tenant_view(Role.VIEWER)
def report(request: TenantRequest, report_id: int) -> HttpResponse:
    """One report's progress; polled in place while it runs, and the polling stops when it ends."""
    job = _report_or_404(request, report_id)
    context = page_context(
        request,
        "history",
        report=job,
        can_fetch_again=_can_fetch_again(job),
        calls_query=f"date_from={job.date_start:%Y-%m-%d}&date_to={job.date_end:%Y-%m-%d}"
        + (f"&number={job.number}" if job.number else ""),
    )
    if request.htmx:
        response_class = HttpResponseStopPolling if job.is_done else HttpResponse
        return response_class(render_to_string("spikon/history_report.html#progress", context, request))
    return render(request, "spikon/history_report.html", context)


@require_POST
@tenant_view(Role.OPERATOR)
def fetch_again(request: TenantRequest, report_id: int) -> HttpResponse:
    """Fetch a stored report once more (a read: the calls are upserted, nothing doubles)."""
    job = _report_or_404(request, report_id)
    if not _can_fetch_again(job):
        messages.error(request, _("Only a stored report the provider still keeps can be fetched again."))
        return redirect("spikon:history-report", tenant_slug=request.tenant.slug, report_id=job.pk)
    now = timezone.now()
    restarted = CallHistoryReport.objects.filter(pk=job.pk, state=CallHistoryReport.State.STORED).update(
        state=CallHistoryReport.State.READY,
        poll_status=CallHistoryReport.PollStatus.WAITING,
        next_poll_at=now,
        attempts=0,
        last_error="",
        finished_at=None,
    )
    if restarted:
        queue_after_commit(poll_call_history_report, job.pk)
        messages.info(
            request,
            ngettext(
                "Fetching the report again; its %(count)d call is updated, none is doubled.",
                "Fetching the report again; its %(count)d calls are updated, none is doubled.",
                job.calls_stored,
            )
            % {"count": job.calls_stored},
        )
    return redirect("spikon:history-report", tenant_slug=request.tenant.slug, report_id=job.pk)
