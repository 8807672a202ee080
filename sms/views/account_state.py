"""The SerwerSMS.pl account as of the last sync: the message pool per type, payments (with their invoices,
served to members only), delivery statistics and the provider's notices."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError
from providers.downloads import attachment, pdf_name
from sms import services
from sms.models import DeliveryStat, Payment, PoolEntry, ProviderNotice
from sms.sync import ACCOUNT_RESOURCE, SYNC_KEY
from sms.views.common import connected_account, page_context

SYNC = (SYNC_KEY, ACCOUNT_RESOURCE)


@require_GET
@tenant_view(Role.VIEWER)
def pool(request: TenantRequest) -> HttpResponse:
    """How many messages of each type the account can still send."""
    entries = PoolEntry.objects.filter(tenant=request.tenant)
    return render(request, "sms/pool.html", page_context(request, "pool", sync=SYNC, entries=entries))


@require_GET
@tenant_view(Role.VIEWER)
def payments(request: TenantRequest) -> HttpResponse:
    rows = Payment.objects.filter(tenant=request.tenant)
    return render(request, "sms/payments.html", page_context(request, "payments", sync=SYNC, payments=rows))


@require_GET
@tenant_view(Role.VIEWER)
def invoice(request: TenantRequest, payment_id: int) -> HttpResponse:
    """The payment's invoice: fetched from the provider on the first download, then served from storage."""
    payment = get_object_or_404(Payment, pk=payment_id, tenant=request.tenant)
    if not payment.invoice:
        account = connected_account(request)
        if account is None:
            messages.error(request, _("Save the credentials first."))
            return redirect("sms:payments", tenant_slug=request.tenant.slug)
        try:
            payment = services.fetch_invoice(account, payment)
        except ProviderError as error:
            messages.error(
                request,
                _("The invoice of %(number)s could not be downloaded. %(why)s")
                % {"number": payment, "why": account.explain(error)},
            )
            return redirect("sms:payments", tenant_slug=request.tenant.slug)
    # Always PDF and always an attachment: a stored file is never shown inline as something else.
    return attachment(
        payment.invoice, pdf_name(payment.number, f"invoice-{payment.provider_id}"), "application/pdf"
    )


@require_GET
@tenant_view(Role.VIEWER)
def delivery_stats(request: TenantRequest) -> HttpResponse:
    stats = DeliveryStat.objects.filter(tenant=request.tenant)
    return render(request, "sms/stats.html", page_context(request, "stats", sync=SYNC, stats=stats))


@require_GET
@tenant_view(Role.VIEWER)
def notices(request: TenantRequest) -> HttpResponse:
    rows = ProviderNotice.objects.filter(tenant=request.tenant)
    return render(request, "sms/notices.html", page_context(request, "notices", sync=SYNC, notices=rows))
