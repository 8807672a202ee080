"""What every Numery-Premium.PL page shares: the account, the roles and the sub-navigation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.tenancy import TenantRequest
from premium.models import PremiumAccount
from providers import pages


def get_account(request: TenantRequest) -> PremiumAccount | None:
    return PremiumAccount.of(request.tenant)


PAGES = (
    pages.SubPage("numbers", gettext_lazy("Numbers"), "premium:numbers"),
    pages.SubPage("billing", gettext_lazy("Billing"), "premium:billing"),
    pages.SubPage("wallet", gettext_lazy("Wallet"), "premium:wallet"),
    pages.SubPage("invoices", gettext_lazy("Invoices"), "premium:invoices"),
    pages.SubPage("account", gettext_lazy("Account"), "premium:account"),
)


def page_context(
    request: TenantRequest, subsection: str, account: PremiumAccount | None, **extra: object
) -> dict[str, object]:
    """The page shell's context (providers/page.html): the sub-navigation with `subsection` current."""
    return pages.page_context(
        request,
        provider_name="Numery-Premium.PL",
        pages=PAGES,
        current=subsection,
        account=account,
        account_page="account",
        **extra,
    )


def no_account_response(request: TenantRequest) -> HttpResponse:
    """A write needs credentials: say so and send the member to the account page."""
    messages.error(request, _("Set up the Numery-Premium.PL account (email and API key) first."))
    return redirect("premium:account", tenant_slug=request.tenant.slug)
