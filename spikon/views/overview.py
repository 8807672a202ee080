"""The SPIKON overview: the balance and the phone accounts from the last sync; helpers the pages share."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from spikon.models import PhoneAccount, SpikonAccount
from spikon.sync import ACCOUNT


def spikon_account(request: TenantRequest) -> SpikonAccount | None:
    """The tenant's SPIKON account, or None when an admin has not set one up yet."""
    return SpikonAccount.objects.filter(tenant=request.tenant).first()


def page_context(request: TenantRequest, current: str, **extra: object) -> dict[str, object]:
    """What every SPIKON page needs: the highlighted entries (`current`: the sub-navigation's) and the
    member's powers."""
    context: dict[str, object] = {
        "section": "spikon",
        "spikon_page": current,
        "can_operate": request.role >= Role.OPERATOR,
        "can_manage": request.role >= Role.ADMIN,
    }
    context.update(extra)
    return context


@require_GET
@tenant_view(Role.VIEWER)
def index(request: TenantRequest) -> HttpResponse:
    account = spikon_account(request)
    context = page_context(
        request,
        "overview",
        account=account,
        sync_resource=ACCOUNT,
        phone_accounts=PhoneAccount.objects.filter(tenant=request.tenant).order_by("provider_id"),
    )
    return render(request, "spikon/index.html", context)
