"""Numery-Premium.PL: numbers and their redirects, buying a number, billing calls, the wallet, invoices.

Reads come from the local copy the background syncs keep; writes call premium.services, as the pages do.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from accounts.models import Role
from api.auth import TokenRouter, requires
from api.endpoints.common import PageOut, answers, configured_account, file_answer
from api.idempotency import ACTS_ONCE, act_once
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, in_order_of, newest_first
from api.problems import Problem, from_form_errors
from premium import billing as billing_data
from premium import services
from premium.client import Prezentacja
from premium.forms import MAX_BULK_NUMBERS, BillingFilterForm, BulkRedirectForm, RedirectForm, TariffForm
from premium.models import Invoice, PremiumAccount, PremiumNumber, WalletEntry
from providers.csv_export import RAW, csv_lines
from providers.formatting import whole
from providers.once import ActionRecord

router = TokenRouter(tags=["Numery-Premium.PL"])

PROVIDER = "Numery-Premium.PL"
Presentation = Literal["prezentacjaA", "prezentacja"]


def _account(request: HttpRequest) -> PremiumAccount:
    return configured_account(request, PremiumAccount, PROVIDER)


def _number(request: HttpRequest, number: str) -> PremiumNumber:
    return get_object_or_404(PremiumNumber, tenant=request.tenant, number=number)


# --- Numbers -------------------------------------------------------------------------------------


class NumberOut(Schema):
    number: str
    tariff: int
    price_net: Decimal | None
    vat_percent: Decimal | None
    redirect_to: str = Field(description="9 digits; empty when calls are not redirected")
    presentation: str = Field(
        description="prezentacjaA (restricted number), prezentacja (caller's); empty: unknown"
    )
    announcement: bool | None = Field(description="null: the provider did not say")
    synced_at: datetime | None


@router.get("/numbers", response=answers(PageOut[NumberOut]), summary="List the numbers")
@requires(Role.VIEWER)
def numbers(
    request: HttpRequest, cursor: str | None = None, limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
):
    """The tenant's premium numbers in order, as the last sync saw them."""
    rows, next_cursor = in_order_of(
        PremiumNumber.objects.filter(tenant=request.tenant), cursor, field="number", limit=limit
    )
    return {"items": rows, "next_cursor": next_cursor}


class RedirectIn(Schema):
    target: str = Field(description="A Polish number: 601123456, +48 601 123 456 …")
    presentation: Presentation = Prezentacja.HIDDEN.value
    announcement: bool = False


def _checked_redirect(payload: RedirectIn) -> dict:
    form = RedirectForm(payload.dict())
    if not form.is_valid():
        raise from_form_errors(form)
    return form.cleaned_data


@router.put("/numbers/{number}/redirect", response=answers(NumberOut), summary="Set a number's redirect")
@requires(Role.OPERATOR)
def set_redirect(request: HttpRequest, number: str, payload: RedirectIn):
    """Where the number's calls go, which number the target sees and whether the announcement plays."""
    premium_number = _number(request, number)
    data = _checked_redirect(payload)
    services.set_redirect(
        _account(request),
        request.user,
        premium_number,
        data["target"],
        data["presentation"],
        data["announcement"],
    )
    return premium_number


class BulkRedirectIn(Schema):
    numbers: list[str] = Field(min_length=1, max_length=MAX_BULK_NUMBERS)
    target: str
    unknown_presentation: Presentation = Field(
        Prezentacja.HIDDEN.value, description="Sent for numbers whose presentation is not known here"
    )
    unknown_announcement: bool = Field(
        False, description="Sent for numbers where it is not known whether the announcement plays"
    )


class BulkResultOut(Schema):
    number: str
    outcome: Literal["done", "failed", "not tried"] = Field(
        description="not tried: the provider had stopped answering for an earlier number"
    )
    detail: str = Field(description="Why the provider refused, in the request's language; empty when done")
    presentation: str = Field(description="What was set (when done)")
    announcement: bool | None


class BulkRedirectOut(Schema):
    target: str
    results: list[BulkResultOut]


@router.post("/numbers/redirect", response=answers(BulkRedirectOut), summary="Redirect several numbers")
@requires(Role.OPERATOR)
def bulk_redirect(request: HttpRequest, payload: BulkRedirectIn):
    """One target for several numbers; each keeps the presentation and announcement known for it (where
    one is unknown, what the request says is sent), and each gets its own result."""
    found = dict(
        PremiumNumber.objects.filter(tenant=request.tenant, number__in=payload.numbers).values_list(
            "number", "pk"
        )
    )
    missing = [number for number in payload.numbers if number not in found]
    if missing:
        raise Problem(
            "not-found",
            _("These numbers are not in this tenant: %(numbers)s.") % {"numbers": ", ".join(missing)},
        )
    form = BulkRedirectForm(
        {**payload.dict(), "numbers": list(found.values())},
        tenant=request.tenant,
    )
    if not form.is_valid():
        raise from_form_errors(form)
    data = form.cleaned_data
    results = services.set_redirects(
        _account(request),
        request.user,
        list(data["numbers"].order_by("number")),
        data["target"],
        unknown_presentation=data["unknown_presentation"],
        unknown_announcement=data["unknown_announcement"],
    )
    return {
        "target": data["target"],
        "results": [
            {
                "number": result.number,
                "outcome": result.outcome,
                "detail": result.words,
                "presentation": result.presentation,
                "announcement": result.announcement,
            }
            for result in results
        ],
    }


# After /numbers/redirect: Django tries URL patterns in order, and {number} would match "redirect".
@router.get("/numbers/{number}", response=answers(NumberOut), summary="One number")
@requires(Role.VIEWER)
def number(request: HttpRequest, number: str):
    return _number(request, number)


class BuyIn(Schema):
    tariff: int = Field(description="4 to 8")


class BoughtOut(Schema):
    number: NumberOut
    wallet_net: Decimal = Field(description="The wallet's net balance (zł) after the purchase")


@router.post(
    "/numbers", response=answers(BoughtOut, status=201), summary="Buy a number", openapi_extra=ACTS_ONCE
)
@requires(Role.ADMIN)
def buy_number(request: HttpRequest, payload: BuyIn):
    """Buys a number in a tariff: it costs money, so it needs an `Idempotency-Key` and is sent once."""

    def buy(record: ActionRecord) -> tuple[int, dict]:
        form = TariffForm({"tariff": payload.tariff})
        if not form.is_valid():
            raise from_form_errors(form)
        bought, wallet_net = services.buy_number(
            _account(request), request.user, form.cleaned_data["tariff"], record
        )
        return 201, {"number": NumberOut.from_orm(bought).dict(), "wallet_net": str(wallet_net)}

    return act_once(request, "premium.number.buy", payload.dict(), buy)


# --- Billing -------------------------------------------------------------------------------------


class BillingFilters(Schema):
    year: int | None = Field(None, description="Default: the current month's")
    month: int | None = None
    number: str = ""
    disposition: Literal["", "ANSWERED", "NO ANSWER", "BUSY", "FAILED"] = ""
    caller: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _billing_query(filters: BillingFilters) -> billing_data.BillingQuery:
    """The filters checked as the billing page checks them."""
    data = {key: "" if value is None else str(value) for key, value in filters.dict().items()}
    form = BillingFilterForm.from_query(data)
    if not form.is_valid():
        raise from_form_errors(form, location="query")
    return billing_data.BillingQuery.from_cleaned(form.cleaned_data)


class CallOut(Schema):
    id: int
    call_id: int
    number: str
    caller: str
    redirected_to: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    duration: int
    billed_seconds: int
    disposition: str
    redirect_cost: Decimal


@router.get("/billing/calls", response=answers(PageOut[CallOut]), summary="Billing calls of a month")
@requires(Role.VIEWER)
def billing_calls(
    request: HttpRequest,
    filters: Query[BillingFilters],
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
):
    """The month's calls, newest first, narrowed by number, call state, caller and days."""
    query = _billing_query(filters)
    page = newest_first(query.calls(request.tenant), cursor, fields=("started_at", "id"), limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


# What a selection too large to stream answers, in the OpenAPI document as in the problem's detail.
TOO_MANY_TO_STREAM = (
    "409 `too-many-to-stream`: the filters select more calls than one request streams before the server's "
    "timeout (`BILLING_CSV_STREAM_MAX_CALLS`, 500,000 by default). Narrow them (a number, a call state, "
    "a caller) or ask for the month in parts by days (`date_from`, `date_to`); or have the CSV prepared "
    "in the background on the billing page (Prepare the CSV) and download it from its statements page."
)


@router.get(
    "/billing/calls.csv",
    response=answers(),
    openapi_extra={
        "responses": {
            **file_answer("text/csv")["responses"],
            409: {"description": f"The account is not set up, or {TOO_MANY_TO_STREAM}"},
        }
    },
    summary="Billing calls of a month as CSV",
    description=(
        "The whole filtered month as CSV (the billing page's raw export, for programs: comma, decimal dot, "
        "codes), streamed as it is read.\n\nA month too large to stream in one request answers "
        + TOO_MANY_TO_STREAM
    ),
)
@requires(Role.VIEWER)
def billing_csv(request: HttpRequest, filters: Query[BillingFilters]):
    query = _billing_query(filters)
    if not billing_data.csv_streams(query, request.tenant):
        raise Problem(
            "too-many-to-stream",
            _(
                "These filters select more than %(limit)s calls: too many to stream in one request. Narrow "
                "them (a number, a call state, a caller) or ask for the month in parts by days (date_from, "
                "date_to); or prepare the CSV on the billing page and download it from its statements page "
                "when it is ready."
            )
            % {"limit": whole(settings.BILLING_CSV_STREAM_MAX_CALLS)},
        )
    rows = billing_data.csv_rows(query, request.tenant)
    response = StreamingHttpResponse(
        csv_lines(billing_data.csv_columns(), rows, RAW), content_type="text/csv; charset=utf-8"
    )
    filename = f"billing-{request.tenant.slug}-{query.year:04d}-{query.month:02d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Wallet and invoices -------------------------------------------------------------------------


class WalletEntryOut(Schema):
    id: int
    created_at: datetime
    description: str
    credit: bool
    amount: Decimal
    balance_after: Decimal


class WalletOut(Schema):
    balance_net: Decimal | None
    balance_gross: Decimal | None
    balance_vat_percent: Decimal | None
    balance_read_at: datetime | None
    entries: list[WalletEntryOut]
    next_cursor: str | None


@router.get("/wallet", response=answers(WalletOut), summary="The wallet: balance and history")
@requires(Role.VIEWER)
def wallet(
    request: HttpRequest, cursor: str | None = None, limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
):
    account = PremiumAccount.of(request.tenant)
    page = newest_first(
        WalletEntry.objects.filter(tenant=request.tenant), cursor, fields=("created_at", "id"), limit=limit
    )
    return {
        "balance_net": account.balance_net if account else None,
        "balance_gross": account.balance_gross if account else None,
        "balance_vat_percent": account.balance_vat_percent if account else None,
        "balance_read_at": account.balance_read_at if account else None,
        "entries": page.items,
        "next_cursor": page.next_cursor,
    }


class InvoiceOut(Schema):
    id: int
    title: str
    amount_net: Decimal
    paid: bool
    issued_at: datetime


@router.get("/invoices", response=answers(list[InvoiceOut]), summary="The invoices")
@requires(Role.VIEWER)
def invoices(request: HttpRequest):
    return Invoice.objects.filter(tenant=request.tenant).order_by("-issued_at", "-provider_id")


@router.get(
    "/invoices/{invoice_id}/pdf",
    response=answers(),
    openapi_extra=file_answer("application/pdf"),
    summary="One invoice's PDF",
)
@requires(Role.VIEWER)
def invoice_pdf(request: HttpRequest, invoice_id: int):
    """Fetched from the provider on the first download, then served from storage."""
    invoice = get_object_or_404(Invoice, pk=invoice_id, tenant=request.tenant)
    if not invoice.file:
        invoice = services.fetch_invoice_file(_account(request), invoice)
    return FileResponse(
        invoice.file.open("rb"),
        as_attachment=True,
        filename=invoice.download_name,
        content_type=invoice.content_type or "application/pdf",
    )
