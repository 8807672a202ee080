"""The SPIKON overview: the balance and the phone accounts from the last sync; helpers the pages share."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from providers import pages
from providers.pages import SubPage
from spikon.models import PhoneAccount, SpikonAccount
from spikon.sync import ACCOUNT, SYNC_KEY

# The sub-navigation of every SPIKON page (the shell: spikon/base.html).
PAGES = (
    SubPage("overview", gettext_lazy("Overview"), "spikon:index"),
    SubPage("click-to-call", gettext_lazy("Click-to-call"), "spikon:click-to-call", Role.OPERATOR),
    SubPage("phonebooks", gettext_lazy("Phonebooks"), "spikon:phonebooks"),
    SubPage("sms", gettext_lazy("SMS"), "spikon:sms-log"),
    SubPage("history", gettext_lazy("Call history"), "spikon:history"),
    SubPage("tts", gettext_lazy("Announcements"), "spikon:tts"),
    SubPage("callcenter", gettext_lazy("Call center"), "spikon:callcenter"),
    SubPage("account", gettext_lazy("Account"), "spikon:account", Role.ADMIN),
)


def spikon_account(request: TenantRequest) -> SpikonAccount | None:
    """The tenant's SPIKON account, or None when an admin has not set one up yet."""
    return SpikonAccount.of(request.tenant)


def page_context(request: TenantRequest, current: str, **extra: object) -> dict[str, object]:
    """What every SPIKON page needs: the shell (the sub-navigation with `current` marked, the notice while
    there is no API key, the sync line of `sync_resource` if given) and the member's powers."""
    account = extra.pop("account") if "account" in extra else spikon_account(request)
    resource = extra.pop("sync_resource", "")
    return pages.page_context(
        request,
        provider_name="SPIKON",
        pages=PAGES,
        current=current,
        account=account,
        account_page="account",
        sync=(SYNC_KEY, resource) if resource else None,
        **extra,
    )


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
