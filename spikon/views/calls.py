"""Click-to-call (4.2.3): the phone account rings first, then the destination. Sent once per form.

Each form carries a key; the ClickToCall row is made with it before the provider is called, so a double
submit finds the row and calls no more. The call is never retried: a lost answer is "outcome unknown".
"""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.ids import row_id
from accounts.models import Role
from accounts.provider_errors import explain
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError, UnavailableError
from spikon.forms import ClickToCallForm
from spikon.models import ClickToCall, PhoneAccount, new_form_key
from spikon.views.overview import page_context, spikon_account

RECENT_CALLS = 20


def _prefilled_form(request: TenantRequest) -> ClickToCallForm:
    """A fresh form with a new key; `?number=` and `?account=` come from a phonebook entry or a phone account."""
    initial: dict[str, object] = {
        "form_key": new_form_key(),
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
    phone_account: PhoneAccount = form.cleaned_data["phone_account"]
    destination = form.cleaned_data["destination"]
    try:
        with transaction.atomic():
            call = ClickToCall.objects.create(
                tenant=request.tenant,
                form_key=form.cleaned_data["form_key"],
                user=request.user,
                username=request.user.get_username(),
                phone_account_id=phone_account.provider_id,
                phone_account_label=str(phone_account)[:250],
                destination=destination,
            )
    except IntegrityError:
        messages.info(request, _("This call was already requested with this form; its outcome is below."))
        return redirect("spikon:click-to-call", tenant_slug=request.tenant.slug)
    try:
        state = account.client(in_request=True).initiate_call(phone_account.provider_id, destination)
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        call.status = ClickToCall.Status.UNKNOWN if unknown else ClickToCall.Status.REFUSED
        call.error = explain(error)
    else:
        call.status = ClickToCall.Status.INITIATED
        call.provider_state = state[:100]
    call.finished_at = timezone.now()
    call.save(update_fields=["status", "error", "provider_state", "finished_at"])
    audit.record(
        request.tenant,
        request.user,
        "spikon.call.initiate",
        target=call,
        object_label=f"{call.phone_account_label} → {destination}",
        changes={"destination": (None, destination)},
        outcome="success" if call.status == ClickToCall.Status.INITIATED else "failure",
        message=call.error,
    )
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
