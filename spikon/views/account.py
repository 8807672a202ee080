"""The SPIKON account page (admin): the API key, write-only, the API address, and Test connection."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.fields import secret_hint
from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from providers.accounts import TestOutcome
from providers.pages import connection_test_response
from spikon import services, sync
from spikon.forms import AccountForm
from spikon.models import SpikonAccount
from spikon.views.overview import page_context, spikon_account


def _account_context(request: TenantRequest, account: SpikonAccount | None, form: AccountForm, **extra):
    return page_context(
        request,
        "account",
        account=account,
        form=form,
        key_hint=secret_hint(account.api_key) if account else "",
        **extra,
    )


@sensitive_post_parameters("api_key")
@require_http_methods(["GET", "POST"])
@tenant_view(Role.ADMIN)
def account(request: TenantRequest) -> HttpResponse:
    saved = spikon_account(request)
    before = {"api_key": saved.api_key, "base_url": saved.base_url} if saved else {}
    form = AccountForm(request.POST or None, instance=saved)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "spikon/account.html", _account_context(request, saved, form), status=400)
        with transaction.atomic():
            account = form.save(commit=False)
            account.tenant = request.tenant
            # The key's change is masked by the audit log.
            changes = {
                name: (before.get(name), getattr(account, name))
                for name in ("api_key", "base_url")
                if before.get(name) != getattr(account, name)
            }
            if changes or saved is None:
                account.save()
                audit.record(
                    request.tenant, request.user, "spikon.account.update", target=account, changes=changes
                )
                # New or changed credentials: read everything the account has, not only at the next schedule.
                for resource in sync.RESOURCES:
                    sync.queue(request.tenant, resource)
        messages.success(
            request, _("SPIKON account saved.") if changes or saved is None else _("Nothing changed.")
        )
        return redirect("spikon:account", tenant_slug=request.tenant.slug)
    return render(request, "spikon/account.html", _account_context(request, saved, form))


@require_POST
@tenant_view(Role.ADMIN)
def account_test(request: TenantRequest) -> HttpResponse:
    """Ask the provider for the balance with the saved key: the cheapest call that proves the key works."""
    saved = spikon_account(request)
    if saved is None or not saved.is_configured:
        outcome = TestOutcome(False, _("Save an API key first."))
    else:
        outcome = services.test_connection(saved)
    return connection_test_response(request, outcome, "spikon:account")
