"""Click-to-call (4.2.3): the phone account rings first, then the destination. Sent once per form
(spikon.services.initiate_call): a double submit calls no more, a lost answer is "outcome unknown".
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.ids import row_id
from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from providers.once import new_action_key
from spikon import services
from spikon.forms import ClickToCallForm
from spikon.models import ClickToCall, PhoneAccount
from spikon.views.overview import page_context, spikon_account

RECENT_CALLS = 20


def _prefilled_form(request: TenantRequest) -> ClickToCallForm:
    """A fresh form with a new key; `?number=` and `?account=` come from a phonebook entry or a phone account."""
    initial: dict[str, object] = {
        "form_key": new_action_key(),
        "destination": request.GET.get("number", "")[:40],
    }
    account_id = row_id(request.GET.get("account", ""))
    if account_id is not None:
        initial["phone_account"] = (
            PhoneAccount.objects.filter(tenant=request.tenant, pk=account_id)
            .values_list("pk", flat=True)
            .first()
        )
    return ClickToCallForm(initial=initial, tenant=request.tenant)


def _page(request: TenantRequest, form: ClickToCallForm, status: int = 200, **extra) -> HttpResponse:
    recent = ClickToCall.objects.filter(tenant=request.tenant).order_by("-created_at", "-id")[:RECENT_CALLS]
    context = page_context(
        request,
        "click-to-call",
        form=form,
        account=spikon_account(request),
        recent_calls=recent,
        callee_name=request.GET.get("name", "")[:200],
        **extra,
    )
    return render(request, "spikon/click_to_call.html", context, status=status)


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OPERATOR)
def click_to_call(request: TenantRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, _prefilled_form(request))
    form = ClickToCallForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _page(request, form, status=400)
    account = spikon_account(request)
    if account is None or not account.is_configured:
        form.add_error(
            None, _("The SPIKON account has no API key yet: an admin sets it on the Account page.")
        )
        return _page(request, form, status=400)
    destination = form.cleaned_data["destination"]
    call = services.initiate_call(
        account,
        request.user,
        key=form.cleaned_data["form_key"],
        phone_account=form.cleaned_data["phone_account"],
        destination=destination,
    )
    if call is None:
        messages.info(request, _("This call was already requested with this form; its outcome is below."))
        return redirect("spikon:click-to-call", tenant_slug=request.tenant.slug)
    if call.status == ClickToCall.Status.INITIATED:
        messages.success(
            request,
            _("Call initiated: %(account)s rings first, then %(number)s.")
            % {"account": call.phone_account_label, "number": destination},
        )
    elif call.status == ClickToCall.Status.UNKNOWN:
        messages.warning(
            request,
            _(
                "Outcome unknown: the provider did not answer in time. The call may be ringing; check before trying again."
            ),
        )
    else:
        messages.error(request, call.error)
    return redirect("spikon:click-to-call", tenant_slug=request.tenant.slug)
