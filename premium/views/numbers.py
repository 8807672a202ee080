"""Numbers: the list, a redirect edited inline or for several numbers at once, buying and deleting."""

from __future__ import annotations

import calendar
import secrets
from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import audit
from accounts.models import AuditEvent, Role
from accounts.pagination import KeysetPage
from accounts.sync import queue_sync
from accounts.tenancy import TenantRequest, tenant_view
from premium import billing as billing_data
from premium import earnings, services
from premium import sync as premium_sync
from premium.client import NumberNotOnAccount
from premium.forms import (
    BulkRedirectForm,
    BuyForm,
    DeleteNumberForm,
    NumberMonthForm,
    RedirectForm,
    TariffForm,
)
from premium.models import Call, PremiumAccount, PremiumNumber
from premium.sync import SYNC_KEY
from premium.tables import number_rows
from premium.views.common import get_account, no_account_response, page_context
from provider_api.errors import ProviderError, UnavailableError
from providers.formatting import money, phone
from providers.once import ActionRecord, start_action
from providers.texts import shown
from redirect_schedules.services import pause_question_url
from snapshots.capture import take_before_bulk_change

PURCHASE_TOKENS = "premium-purchase-tokens"  # session key: confirmations not used yet
MAX_PURCHASE_TOKENS = 10
NUMBERS_PER_PAGE = 50  # rows of the list; a page of 1,000 numbers took half a second to render


def _numbers_url(request: TenantRequest, number: PremiumNumber | None = None) -> str:
    url = reverse("premium:numbers", kwargs={"tenant_slug": request.tenant.slug})
    return f"{url}#number-{number.pk}" if number else url


def _number_or_404(request: TenantRequest, number_id: int) -> PremiumNumber:
    return get_object_or_404(PremiumNumber, pk=number_id, tenant=request.tenant)


def _list_context(request: TenantRequest, account: PremiumAccount | None, **extra: object) -> dict:
    """One page of the numbers in order, from the number after `after` (keyset: any page costs the same)."""
    after = (request.GET if request.method == "GET" else request.POST).get("after", "")
    numbers = PremiumNumber.objects.filter(tenant=request.tenant).order_by("number")
    if after:
        numbers = numbers.filter(number__gt=after)
    rows = list(numbers[: NUMBERS_PER_PAGE + 1])
    page = KeysetPage(
        items=rows[:NUMBERS_PER_PAGE],
        next_cursor=rows[NUMBERS_PER_PAGE - 1].number if len(rows) > NUMBERS_PER_PAGE else None,
        is_first=not after,
    )
    return page_context(
        request,
        "numbers",
        account,
        numbers=page.items,
        number_rows=number_rows(request, page.items),
        page=page,
        after=after,
        bulk_form=extra.pop("bulk_form", None) or BulkRedirectForm(tenant=request.tenant),
        **extra,
    )


@require_GET
@tenant_view(Role.VIEWER)
def numbers(request: TenantRequest) -> HttpResponse:
    return render(request, "premium/numbers.html", _list_context(request, get_account(request)))


@require_GET
@tenant_view(Role.VIEWER)
def number_row(request: TenantRequest, number_id: int) -> HttpResponse:
    """One row of the list (HTMX: what Cancel puts back); a plain request goes to the list."""
    number = _number_or_404(request, number_id)
    if not request.htmx:
        return redirect(_numbers_url(request, number))
    context = page_context(request, "numbers", None, number_rows=number_rows(request, [number]))
    return render(request, "premium/numbers.html#number-row", context)


def _redirect_form_response(
    request: TenantRequest, number: PremiumNumber, form: RedirectForm, status: int = 200
) -> HttpResponse:
    context = page_context(request, "numbers", get_account(request), number=number, form=form)
    template = "premium/numbers.html#redirect-row" if request.htmx else "premium/number_redirect.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def number_redirect(request: TenantRequest, number_id: int) -> HttpResponse:
    """Edit where a number's calls go: the target is normalised and checked before the provider sees it."""
    number = _number_or_404(request, number_id)
    if request.method == "GET":
        return _redirect_form_response(request, number, RedirectForm.for_number(number))
    form = RedirectForm(request.POST, prefix=f"n{number.pk}")
    if not form.is_valid():
        return _redirect_form_response(request, number, form, status=400)
    account = get_account(request)
    if account is None or not account.is_configured:
        form.add_error(None, _("Set up the Numery-Premium.PL account (email and API key) first."))
        return _redirect_form_response(request, number, form, status=409)
    data = form.cleaned_data
    try:
        services.set_redirect(
            account, request.user, number, data["target"], data["presentation"], data["announcement"]
        )
    except ProviderError as error:
        form.add_error(None, account.explain(error))
        return _redirect_form_response(request, number, form, status=422)
    messages.success(
        request,
        _("Calls to %(number)s now go to %(target)s.")
        % {"number": phone(number.number), "target": phone(number.redirect_to)},
    )
    if ask := pause_question_url(number):  # the number follows a schedule: pause it?
        return HttpResponseClientRedirect(ask) if request.htmx else redirect(ask)
    if request.htmx:
        rows = number_rows(request, [number], just_saved=True)
        context = page_context(request, "numbers", account, number_rows=rows)
        return render(request, "premium/numbers.html#number-row", context)
    return redirect(_numbers_url(request, number))


@require_POST
@tenant_view(Role.OPERATOR)
def numbers_bulk_redirect(request: TenantRequest) -> HttpResponse:
    """One target for several numbers; each number gets its own result."""
    account = get_account(request)
    form = BulkRedirectForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        context = _list_context(request, account, bulk_form=form)
        template = "premium/numbers.html#numbers-section" if request.htmx else "premium/numbers.html"
        return render(request, template, context, status=400)
    if account is None or not account.is_configured:
        return no_account_response(request)
    target = form.cleaned_data["target"]
    take_before_bulk_change(request.tenant, request.user)
    results = services.set_redirects(
        account,
        request.user,
        list(form.cleaned_data["numbers"].order_by("number")),
        target,
        unknown_presentation=form.cleaned_data["unknown_presentation"],
        unknown_announcement=form.cleaned_data["unknown_announcement"],
    )
    if request.htmx:
        context = _list_context(request, account, bulk_results=results, bulk_target=target)
        return render(request, "premium/numbers.html#numbers-section", context)
    succeeded = [
        f"{result.number} ({result.settings_label})" for result in results if result.outcome == "done"
    ]
    if succeeded:
        messages.success(
            request,
            _("Calls to %(numbers)s now go to %(target)s.")
            % {"numbers": ", ".join(succeeded), "target": target},
        )
    for result in results:
        if result.outcome == "failed":
            messages.error(
                request, _("%(number)s: %(words)s") % {"number": phone(result.number), "words": result.words}
            )
    not_tried = [result.number for result in results if result.outcome == "not tried"]
    if not_tried:
        messages.warning(
            request,
            _("Not tried, as the provider stopped answering: %(numbers)s.")
            % {"numbers": ", ".join(not_tried)},
        )
    return redirect(_numbers_url(request))


# --- Buying --------------------------------------------------------------------------------------


def _new_purchase_token(request: TenantRequest) -> str:
    """A one-time confirmation: a double-clicked or resent form cannot buy twice."""
    token = secrets.token_urlsafe(16)
    request.session[PURCHASE_TOKENS] = [*request.session.get(PURCHASE_TOKENS, []), token][
        -MAX_PURCHASE_TOKENS:
    ]
    return token


def _take_purchase_token(request: TenantRequest, token: str) -> bool:
    """True when `token` is a confirmation this session was given and has not used; it is used now."""
    tokens = request.session.get(PURCHASE_TOKENS, [])
    if token not in tokens:
        return False
    tokens.remove(token)
    request.session[PURCHASE_TOKENS] = tokens
    return True


def _already_sent(request: TenantRequest, action: ActionRecord) -> HttpResponse:
    """The same confirmation again: nothing is sent; the member reads what the first post did."""
    outcome = action.outcome
    if action.state == ActionRecord.State.DONE:
        messages.info(
            request,
            _("This purchase was already sent: it bought the number %(number)s. Nothing was bought again.")
            % {"number": phone(outcome.get("number", ""))},
        )
    elif action.state == ActionRecord.State.FAILED:
        messages.warning(
            request,
            _("This purchase was already sent and refused: %(words)s")
            % {"words": shown(outcome.get("message", ""))},
        )
    else:
        messages.warning(
            request,
            _("This purchase was already sent. Check the numbers list and the wallet before buying again."),
        )
    return redirect(_numbers_url(request))


def _buy_context(request: TenantRequest, account: PremiumAccount | None, **extra: object) -> dict:
    prices = services.tariff_prices(request.tenant)
    tariffs = [
        {
            "tariff": tariff,
            "net": prices.get(tariff, (None, None))[0],
            "vat": prices.get(tariff, (None, None))[1],
        }
        for tariff in (4, 5, 6, 7, 8)
    ]
    return page_context(
        request,
        "numbers",
        account,
        tariffs=tariffs,
        last_purchase=services.last_purchase_price(request.tenant),
        **extra,
    )


@require_http_methods(["GET", "POST"])
@tenant_view(Role.ADMIN)
def number_buy(request: TenantRequest) -> HttpResponse:
    """Choose a tariff, see the price and the wallet, confirm: the purchase is sent once."""
    account = get_account(request)
    if account is None or not account.is_configured:
        return no_account_response(request)
    if request.method == "GET":
        choice = TariffForm(request.GET) if "tariff" in request.GET else TariffForm()
        if not choice.is_bound or not choice.is_valid():
            return render(request, "premium/number_buy.html", _buy_context(request, account, choice=choice))
        tariff = choice.cleaned_data["tariff"]
        form = BuyForm(initial={"tariff": tariff, "confirmation": _new_purchase_token(request)})
        return render(
            request, "premium/number_buy.html", _buy_context(request, account, tariff=tariff, form=form)
        )
    form = BuyForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "premium/number_buy.html",
            _buy_context(request, account, choice=TariffForm()),
            status=400,
        )
    tariff = form.cleaned_data["tariff"]
    key = form.cleaned_data["confirmation"]
    used = ActionRecord.objects.filter(tenant=request.tenant, key=key).first()
    if used is not None:
        return _already_sent(request, used)
    if not _take_purchase_token(request, key):  # not a confirmation this session was given
        messages.warning(
            request,
            _("This purchase was already sent. Check the numbers list and the wallet before buying again."),
        )
        return redirect(_numbers_url(request))
    # A double click sends two requests that both found the confirmation in the session: one starts it.
    action = start_action(request.tenant, key, "premium.number.buy", user=request.user)
    if action is None:
        return _already_sent(request, ActionRecord.objects.get(tenant=request.tenant, key=key))
    try:
        number, wallet_net = services.buy_number(account, request.user, tariff, action)
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        if unknown:
            problem = _(
                "Outcome unknown — check: the provider may have bought the number. The numbers list and the "
                "wallet are being refreshed; look there before buying again."
            )
        elif services.is_no_funds(error):
            problem = _(
                "Not enough money in the wallet to buy a number: top the wallet up in the provider's panel."
            )
        else:
            problem = ""
        retry = (
            None
            if unknown
            else BuyForm(initial={"tariff": tariff, "confirmation": _new_purchase_token(request)})
        )
        context = _buy_context(
            request,
            account,
            tariff=tariff,
            form=retry,
            problem=problem,
            error=account.explain(error),
            outcome_unknown=unknown,
        )
        return render(request, "premium/number_buy.html", context, status=422)
    messages.success(
        request,
        _("Number %(number)s bought in tariff %(tariff)s. The wallet holds %(net)s net.")
        % {"number": phone(number.number), "tariff": number.tariff, "net": money(wallet_net)},
    )
    return redirect(_numbers_url(request, number))


# --- Deleting ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@tenant_view(Role.ADMIN)
def number_delete(request: TenantRequest, number_id: int) -> HttpResponse:
    """Remove a number from the account; the member types the number to confirm (checked here too)."""
    number = _number_or_404(request, number_id)
    account = get_account(request)
    form = DeleteNumberForm(request.POST or None, number=number.number)
    status = 200
    if request.method == "POST":
        if account is None or not account.is_configured:
            return no_account_response(request)
        if form.is_valid():
            try:
                services.delete_number(account, request.user, number)
            except ProviderError as error:
                form.add_error(None, account.explain(error))
                status = 422
            else:
                messages.success(request, _("Number %(number)s deleted.") % {"number": phone(number.number)})
                return redirect(_numbers_url(request))
        else:
            status = 400
    context = page_context(request, "numbers", account, number=number, form=form)
    return render(request, "premium/number_delete.html", context, status=status)


NUMBER_PAGE_CALLS = 100  # the month's latest calls listed on a number's page; the billing page has them all


@require_GET
@tenant_view(Role.VIEWER)
def number(request: TenantRequest, number_id: int) -> HttpResponse:
    """One number: its redirect and settings, its redirect history, and its month's calls and totals as
    the provider's per-number billing (billing/{number}) gives them now."""
    premium_number = _number_or_404(request, number_id)
    account = get_account(request)
    form = NumberMonthForm.from_query(request.GET)
    history = AuditEvent.objects.filter(
        tenant=request.tenant,
        object_type=PremiumNumber._meta.label_lower,
        object_id=str(premium_number.pk),
        action="premium.redirect.set",
    )[:20]
    context = page_context(
        request,
        "numbers",
        account,
        number=premium_number,
        form=form,
        history=audit.readable(history, request.tenant.slug),
    )
    status = 200
    if not form.is_valid():
        status = 400
    elif account is not None and account.is_configured:
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        try:
            calls = premium_sync.number_calls(account, premium_number.number, year, month)
        except NumberNotOnAccount:
            context["billing_error"] = _(
                "The provider says this number is not on your account any more: it may have been deleted "
                "in the provider's panel. The list of numbers is being refreshed."
            )
            queue_sync(request.tenant, SYNC_KEY, "numbers")
        except ProviderError as error:
            context["billing_error"] = account.explain(error)
        else:
            price = earnings.prices(request.tenant, account, [premium_number.number]).get(
                premium_number.number, earnings.UNKNOWN
            )
            states = dict(Call.Disposition.choices)
            chart = billing_data.day_chart(calls, first, last, price)
            latest = sorted(calls, key=lambda call: call.start, reverse=True)[:NUMBER_PAGE_CALLS]
            context.update(
                chart=chart,
                query=billing_data.BillingQuery(year=year, month=month, number=premium_number.number),
                calls=[
                    (call, price.paid(call.billsec), states.get(call.disposition, call.disposition))
                    for call in latest
                ],
                more_calls=len(calls) > NUMBER_PAGE_CALLS,
            )
    return render(request, "premium/number.html", context, status=status)
