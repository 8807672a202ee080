"""The SerwerSMS.pl account page (admins): the credentials (write-only secrets), the sign-in method, the
optional API address, and Test connection."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.fields import secret_hint
from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from providers.accounts import TestOutcome
from providers.pages import connection_test_response
from sms import services
from sms.forms import AccountForm
from sms.views.common import page_context, stored_account


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("api_token", "api_password")
@tenant_view(Role.ADMIN)
def account(request: TenantRequest) -> HttpResponse:
    """The credentials (write-only secrets), the sign-in method and the optional API address."""
    stored = stored_account(request)
    form = AccountForm(request.POST if request.method == "POST" else None, instance=stored)
    if form.is_bound and form.is_valid():
        services.save_account(request.tenant, request.user, form)
        messages.success(request, _("SerwerSMS.pl account saved."))
        return redirect("sms:account", tenant_slug=request.tenant.slug)
    # Read again: validation copies the form's values onto the stored instance.
    stored = stored_account(request)
    context = page_context(
        request,
        "account",
        form=form,
        token_hint=secret_hint(stored.api_token) if stored else "",
        password_hint=secret_hint(stored.api_password) if stored else "",
    )
    return render(request, "sms/account.html", context, status=400 if form.is_bound else 200)


@require_POST
@tenant_view(Role.ADMIN)
def account_test(request: TenantRequest) -> HttpResponse:
    """Test connection: list the subaccounts with the saved credentials (a read; changes nothing)."""
    stored = stored_account(request)
    outcome = (
        services.test_connection(stored)
        if stored is not None
        else TestOutcome(False, _("Save the credentials first."))
    )
    return connection_test_response(request, outcome, "sms:account")
