"""The wallet (balance and history) and the invoices, whose files are served to members only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.media_checks import download_type
from accounts.models import Role
from accounts.pagination import keyset_page
from accounts.tenancy import TenantRequest, tenant_view
from premium import services
from premium.models import Invoice, WalletEntry
from premium.views.common import get_account, no_account_response, page_context
from provider_api.errors import ProviderError
from providers.downloads import attachment

WALLET_PER_PAGE = 50


@require_GET
@tenant_view(Role.VIEWER)
def wallet(request: TenantRequest) -> HttpResponse:
    entries = WalletEntry.objects.filter(tenant=request.tenant)
    page = keyset_page(
        entries, request.GET.get("after"), fields=("created_at", "id"), per_page=WALLET_PER_PAGE
    )
    context = page_context(request, "wallet", get_account(request), page=page)
    template = (
        "premium/wallet.html#wallet-rows"
        if request.htmx and request.GET.get("after")
        else "premium/wallet.html"
    )
    return render(request, template, context)


@require_GET
@tenant_view(Role.VIEWER)
def invoices(request: TenantRequest) -> HttpResponse:
    rows = Invoice.objects.filter(tenant=request.tenant).order_by("-issued_at", "-provider_id")
    return render(
        request,
        "premium/invoices.html",
        page_context(request, "invoices", get_account(request), invoices=rows),
    )


@require_GET
@tenant_view(Role.VIEWER)
def invoice_download(request: TenantRequest, invoice_id: int) -> HttpResponse:
    """The invoice's file: fetched from the provider on the first download, then served from storage."""
    invoice = get_object_or_404(Invoice, pk=invoice_id, tenant=request.tenant)
    if not invoice.file:
        account = get_account(request)
        if account is None or not account.is_configured:
            return no_account_response(request)
        try:
            invoice = services.fetch_invoice_file(account, invoice)
        except ProviderError as error:
            messages.error(
                request,
                _("Invoice %(title)s could not be downloaded. %(why)s")
                % {"title": invoice.title, "why": account.explain(error)},
            )
            return redirect("premium:invoices", tenant_slug=request.tenant.slug)
    return attachment(
        invoice.file, invoice.download_name, download_type(invoice.content_type or "application/pdf")
    )
