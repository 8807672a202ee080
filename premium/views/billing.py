"""Billing: the calls of a month with filters, summaries and a chart; the CSV export; the PDF statements,
and the CSVs too large to stream, asked for here and made by a worker (premium.tasks.render_statement),
never in a web request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from html import escape

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.models import Role, Tenant
from accounts.pagination import keyset_page
from accounts.tenancy import TenantRequest, tenant_view
from premium import billing as billing_data
from premium import earnings, tasks
from premium.forms import BillingFilterForm
from premium.models import Call, Statement
from premium.views.common import get_account, page_context
from providers.csv_export import RAW, csv_response
from providers.csv_export import variant as csv_variant
from providers.queueing import queue_after_commit

PER_PAGE = 50
STATEMENTS_AT_ONCE = 3  # a tenant's statements waiting or being made at one time
RECENT_STATEMENTS = 20
NUMBER_SUGGESTIONS = 20  # numbers suggested at once by the number filter


def _filters(request: TenantRequest) -> tuple[BillingFilterForm, billing_data.BillingQuery | None]:
    form = BillingFilterForm.from_query(request.GET)
    if not form.is_valid():
        return form, None
    return form, billing_data.BillingQuery.from_cleaned(form.cleaned_data)


def _filter_query(request: TenantRequest) -> str:
    """The query string without the page cursor: links to other pages, the CSV and the PDF keep the filters."""
    query = request.GET.copy()
    query.pop("after", None)
    return query.urlencode()


def _number_options(numbers: Iterable[str]) -> SafeString:
    """The number filter's suggestions, joined here: a template loop took 3 ms for 1,000 numbers and
    format_html_join 6 ms. The numbers are escaped together, once (an escape() each was 7,000 calls):
    PostgreSQL's text holds no NUL, so NUL parts them, and escaped or not every character is."""
    escaped = escape("\0".join(numbers))
    if not escaped:
        return mark_safe("")
    return mark_safe('<option value="' + escaped.replace("\0", '"><option value="') + '">')  # escaped above


@require_GET
@tenant_view(Role.VIEWER)
def billing_numbers(request: TenantRequest) -> HttpResponse:
    """The number filter's suggestions for what is typed in it (htmx fills its datalist): the tenant's
    numbers holding those digits. Sent with every page, a thousand numbers were a third of its bytes."""
    typed = "".join(request.GET.get("number", "").split())
    if typed and not (typed.isascii() and typed.isdigit()):
        return HttpResponse("")  # a number is digits only: nothing to suggest
    found = billing_data.numbers(request.tenant, holding=typed, limit=NUMBER_SUGGESTIONS)
    return HttpResponse(_number_options(found))


@require_GET
@tenant_view(Role.VIEWER)
def billing(request: TenantRequest) -> HttpResponse:
    form, query = _filters(request)
    account = get_account(request)
    page = summary = call_rows = None
    if query is not None:
        page = keyset_page(
            query.calls(request.tenant).values_list(*billing_data.CALL_ROW_FIELDS, named=True),
            request.GET.get("after"),
            fields=("started_at", "id"),
            per_page=PER_PAGE,
        )
        prices = earnings.prices(request.tenant, account, {call.number for call in page.items})
        call_rows = billing_data.call_rows(page.items, prices)
        # A page of rows (HTMX "Older") needs no summaries: only the first render computes them.
        if not (request.htmx and request.GET.get("after")):
            summary = billing_data.summarise(
                query, request.tenant, busiest=billing_data.BUSIEST_NUMBERS, shares=earnings.shares(account)
            )
    context = page_context(
        request,
        "billing",
        account,
        form=form,
        query=query,
        page=page,
        call_rows=call_rows,
        summary=summary,
        filter_query=_filter_query(request),
        dispositions=Call.Disposition,
    )
    if request.htmx and request.GET.get("after"):
        return render(request, "premium/billing.html#billing-rows", context)
    status = 200 if query else 400
    if request.htmx:
        return render(request, "premium/billing.html#billing-results", context, status=status)
    return render(request, "premium/billing.html", context, status=status)


def _refused_filters(request: TenantRequest, form: BillingFilterForm) -> HttpResponse:
    """The billing page with the filters' errors, for an export or a statement asked with bad filters."""
    context = page_context(request, "billing", get_account(request), form=form, query=None)
    return render(request, "premium/billing.html", context, status=400)


def _period_name(query: billing_data.BillingQuery) -> str:
    return f"{query.year:04d}-{query.month:02d}"


@require_GET
@tenant_view(Role.VIEWER)
def billing_export(request: TenantRequest) -> HttpResponse:
    """CSV of the whole filtered set, streamed while it is read from the database in chunks; a set too
    large to stream before the web worker's timeout is offered to be prepared by a worker instead (the
    billing page offers that at once: this answers a link followed anyway)."""
    form, query = _filters(request)
    if query is None:
        return _refused_filters(request, form)
    if not billing_data.csv_streams(query, request.tenant):
        raw = csv_variant(request) == RAW
        context = page_context(
            request,
            "billing",
            get_account(request),
            query=query,
            filter_query=_filter_query(request),
            file_format=Statement.Format.CSV_RAW if raw else Statement.Format.CSV,
            limit=settings.BILLING_CSV_STREAM_MAX_CALLS,
        )
        return render(request, "premium/billing_csv_too_large.html", context, status=409)
    filename = f"billing-{request.tenant.slug}-{_period_name(query)}.csv"
    rows = billing_data.csv_rows(query, request.tenant)
    return csv_response(request, filename, billing_data.csv_columns(), rows)


# --- PDF statements --------------------------------------------------------------------------------


@require_POST
@tenant_view(Role.VIEWER)
def statement_request(request: TenantRequest) -> HttpResponse:
    """Queue a PDF statement of the billing filters (in the query string, as for the CSV), or their CSV
    (`format`: a selection too large to stream); a worker makes it and the statements page follows it.
    The same statement still in the making is not asked twice."""
    form, query = _filters(request)
    if query is None:
        return _refused_filters(request, form)
    file_format = request.POST.get("format", Statement.Format.PDF)
    if file_format not in Statement.Format.values:
        return HttpResponse(status=400)
    language = translation.get_language() or settings.LANGUAGE_CODE
    statements_url = reverse("premium:statements", kwargs={"tenant_slug": request.tenant.slug})
    with transaction.atomic():
        # One request of a tenant at a time (its row locked): two clicks cannot both pass the checks below.
        Tenant.objects.select_for_update().get(pk=request.tenant.pk)
        in_making = Statement.objects.filter(
            tenant=request.tenant, state__in=[Statement.State.QUEUED, Statement.State.RENDERING]
        )
        same = in_making.filter(language=language, file_format=file_format, **asdict(query))
        same = same.order_by("id").first()
        if same is not None:
            messages.info(
                request,
                _(
                    "A statement with these filters is already being made: it is marked below; no second "
                    "one was asked for."
                )
                if file_format == Statement.Format.PDF
                else _(
                    "A CSV file with these filters is already being prepared: it is marked below; no second "
                    "one was asked for."
                ),
            )
            return redirect(f"{statements_url}#statement-{same.pk}")
        if in_making.count() >= STATEMENTS_AT_ONCE:
            messages.error(
                request,
                ngettext(
                    "%(count)d statement is being made already: wait for it to be ready before asking "
                    "for another.",
                    "%(count)d statements are being made already: wait for one to be ready before asking "
                    "for another.",
                    STATEMENTS_AT_ONCE,
                )
                % {"count": STATEMENTS_AT_ONCE},
            )
            return redirect(statements_url)
        statement = Statement.objects.create(
            tenant=request.tenant,
            requested_by=request.user,
            language=language,
            file_format=file_format,
            **asdict(query),  # the filters: Statement has a field for each
        )
        queue_after_commit(tasks.render_statement, statement.pk)
    messages.success(
        request,
        _("The PDF statement is being made; you can download it here when it is ready.")
        if file_format == Statement.Format.PDF
        else _("The CSV file is being prepared; you can download it here when it is ready."),
    )
    return redirect(statements_url)


@require_GET
@tenant_view(Role.VIEWER)
def statements(request: TenantRequest) -> HttpResponse:
    """The tenant's recent statements; the list refreshes itself while one is waiting or being made."""
    recent = list(
        Statement.objects.filter(tenant=request.tenant)
        .select_related("requested_by")
        .order_by("-created_at", "-id")[:RECENT_STATEMENTS]
    )
    pending = any(not statement.is_final for statement in recent)
    context = page_context(
        request,
        "billing",
        get_account(request),
        statements=recent,
        pending=pending,
        kept=tasks.STATEMENTS_KEPT.days,
    )
    if request.htmx:
        # htmx stops polling once every statement shown is ready or failed.
        response_class = HttpResponse if pending else HttpResponseStopPolling
        return response_class(render_to_string("premium/statements.html#statement-list", context, request))
    return render(request, "premium/statements.html", context)


@require_GET
@tenant_view(Role.VIEWER)
def statement_download(request: TenantRequest, statement_id: int) -> HttpResponse:
    statement = get_object_or_404(
        Statement.objects.select_related("tenant"),
        pk=statement_id,
        tenant=request.tenant,
        state=Statement.State.READY,
    )
    return FileResponse(
        statement.file.open("rb"),
        as_attachment=True,
        filename=statement.download_name,
        content_type=statement.content_type,
    )
