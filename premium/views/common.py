"""What every Numery-Premium.PL page shares: the account, the roles and the sub-navigation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.tenancy import TenantRequest
from premium.models import PremiumAccount


def get_account(request: TenantRequest) -> PremiumAccount | None:
    return PremiumAccount.objects.filter(tenant=request.tenant).select_related("tenant").first()


def page_context(
    request: TenantRequest, subsection: str, account: PremiumAccount | None, **extra: object
) -> dict[str, object]:
    return {
        "section": "premium",
        "subsection": subsection,
        "account": account,
        "configured": account is not None and account.is_configured,
        "can_operate": request.role >= Role.OPERATOR,
        "can_administer": request.role >= Role.ADMIN,
        **extra,
    }


def no_account_response(request: TenantRequest) -> HttpResponse:
    """A write needs credentials: say so and send the member to the account page."""
    messages.error(request, _("Set up the Numery-Premium.PL account (email and API key) first."))
    return redirect("premium:account", tenant_slug=request.tenant.slug)
