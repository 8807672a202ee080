"""What every SerwerSMS.pl page shares: the account, and the page shell's context (sub-navigation as data)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.tenancy import TenantRequest
from providers import pages
from sms.models import SerwerSmsAccount

PAGES = (
    pages.SubPage("subaccounts", _("Subaccounts"), "sms:index"),
    pages.SubPage("pool", _("Messages left"), "sms:pool"),
    pages.SubPage("payments", _("Payments"), "sms:payments"),
    pages.SubPage("stats", _("Delivery statistics"), "sms:stats"),
    pages.SubPage("notices", _("Notices"), "sms:notices"),
    pages.SubPage("account", _("Account"), "sms:account", Role.ADMIN),
)


def stored_account(request: TenantRequest) -> SerwerSmsAccount | None:
    return SerwerSmsAccount.of(request.tenant)


def connected_account(request: TenantRequest) -> SerwerSmsAccount | None:
    """The account, if it has the credentials of its sign-in method (only then can the provider be called)."""
    account = stored_account(request)
    return account if account is not None and account.is_configured else None


def page_context(
    request: TenantRequest, current: str, *, sync: tuple[str, str] | None = None, **extra: object
) -> dict[str, object]:
    return pages.page_context(
        request,
        provider_name="SerwerSMS.pl",
        pages=PAGES,
        current=current,
        account=stored_account(request),
        account_page="account",
        sync=sync,
        **extra,
    )
