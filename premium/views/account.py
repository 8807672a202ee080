"""The account page: credentials (admins), whether they are set (everyone), Test connection."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import audit
from accounts.models import Role
from accounts.sync import queue_sync
from accounts.tenancy import TenantRequest, tenant_view
from premium import services
from premium.forms import AccountForm, EarningSharesForm
from premium.models import PremiumAccount
from premium.sync import SYNC_KEY, billing_resource, current_month
from premium.views.common import get_account, no_account_response, page_context
from providers.pages import connection_test_response

INITIAL_SYNCS = ("numbers", "balance", "wallet", "invoices")


def _render(
    request: TenantRequest,
    account: PremiumAccount | None,
    form=None,
    status: int = 200,
    shares_form: EarningSharesForm | None = None,
) -> HttpResponse:
    if form is None and request.role >= Role.ADMIN:
        form = AccountForm(instance=account)
    if shares_form is None and account is not None and request.role >= Role.ADMIN:
        shares_form = EarningSharesForm(account=account)
    context = page_context(request, "account", account, form=form, shares_form=shares_form)
    return render(request, "premium/account.html", context, status=status)


@require_GET
@tenant_view(Role.VIEWER)
def account(request: TenantRequest) -> HttpResponse:
    return _render(request, get_account(request))


def queue_initial_syncs(account: PremiumAccount) -> None:
    for resource in (*INITIAL_SYNCS, billing_resource(*current_month())):
        queue_sync(account.tenant, SYNC_KEY, resource)


@require_POST
@tenant_view(Role.ADMIN)
def account_save(request: TenantRequest) -> HttpResponse:
    existing = get_account(request)
    before = (
        {"email": existing.email, "api_key": existing.api_key, "base URL": existing.base_url}
        if existing
        else {"email": None, "api_key": None, "base URL": None}
    )
    form = AccountForm(request.POST, instance=existing or PremiumAccount(tenant=request.tenant))
    if not form.is_valid():
        return _render(request, existing, form, status=400)
    with transaction.atomic():
        saved = form.save()
        after = {"email": saved.email, "api_key": saved.api_key, "base URL": saved.base_url}
        changes = audit.changed(before, after)
        if changes:
            action = "premium.account.update" if existing else "premium.account.create"
            audit.record(request.tenant, request.user, action, target=saved, changes=changes)
            queue_initial_syncs(saved)
    messages.success(request, _("Account saved. The data is being fetched from the provider."))
    return redirect("premium:account", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def account_test(request: TenantRequest) -> HttpResponse:
    """Call balance with the stored credentials and say what happened."""
    account = get_account(request)
    if account is None or not account.is_configured:
        return no_account_response(request)
    return connection_test_response(request, services.test_connection(account), "premium:account")


@require_POST
@tenant_view(Role.ADMIN)
def account_shares(request: TenantRequest) -> HttpResponse:
    """Save the tenant's share per tariff: billing estimates the earning from it."""
    account = get_account(request)
    if account is None:
        return no_account_response(request)
    form = EarningSharesForm(request.POST, account=account)
    if not form.is_valid():
        return _render(request, account, status=400, shares_form=form)
    before, after = account.earning_shares, form.shares()
    if before != after:
        with transaction.atomic():
            account.earning_shares = after
            account.save(update_fields=["earning_shares", "updated_at"])
            changes = {
                f"share in tariff {tariff}": (before.get(str(tariff)), after.get(str(tariff)))
                for tariff in range(4, 9)
                if before.get(str(tariff)) != after.get(str(tariff))
            }
            audit.record(
                request.tenant, request.user, "premium.account.shares", target=account, changes=changes
            )
    messages.success(request, _("Shares saved. Billing estimates the earning from them."))
    return redirect("premium:account", tenant_slug=request.tenant.slug)
