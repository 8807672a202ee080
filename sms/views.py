"""SerwerSMS.pl pages: the subaccount list (the app's index), a subaccount with its limits, creating one
from a template, deleting one, and the account's credentials.

Pages read the local copy; the changes call the provider from the request (see sms.services).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.fields import OneTimeSecret, secret_hint
from accounts.models import Role
from accounts.pagination import keyset_page
from accounts.provider_errors import explain
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError, UnavailableError
from sms import services
from sms.forms import AccountForm, DeleteForm, LimitForm, SubaccountCreateForm
from sms.models import MessageType, SerwerSmsAccount, Subaccount, SubaccountCreation, SubaccountLimit

PER_PAGE = 50
# Creations of unknown outcome stay on the list page this long, so that someone checks them.
UNKNOWN_CREATIONS_SHOWN_FOR = timedelta(days=7)
UNKNOWN_CREATIONS_SHOWN = 20
SEARCH_MAX_LENGTH = 100


def _account(request: TenantRequest) -> SerwerSmsAccount | None:
    return SerwerSmsAccount.objects.filter(tenant=request.tenant).first()


def _connected_account(request: TenantRequest) -> SerwerSmsAccount | None:
    """The account, if it has the credentials of its sign-in method (only then can the provider be called)."""
    account = _account(request)
    return account if account is not None and account.has_credentials else None


def _context(request: TenantRequest, sms_page: str, **extra: object) -> dict[str, object]:
    context: dict[str, object] = {
        "section": "sms",
        "sms_page": sms_page,
        "can_manage": request.role >= Role.ADMIN,
    }
    context.update(extra)
    return context


# --- subaccount list ---------------------------------------------------------------------------------


@require_GET
@tenant_view(Role.VIEWER)
def index(request: TenantRequest) -> HttpResponse:
    """The subaccount list from the last sync, newest first, with a search."""
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    subaccounts = Subaccount.objects.filter(tenant=request.tenant)
    if query:
        subaccounts = subaccounts.filter(
            Q(login__icontains=query)
            | Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(phone__icontains=query)
            | Q(provider_id__startswith=query)
        )
    page = keyset_page(subaccounts, request.GET.get("after"), fields=("provider_id",), per_page=PER_PAGE)
    context = _context(
        request,
        "subaccounts",
        account=_connected_account(request),
        page=page,
        query=query,
        unknown_creations=_unknown_creations(request) if request.role >= Role.ADMIN else [],
    )
    # The search swaps only the list; anything else gets the whole page.
    swap_list = request.htmx and request.htmx.target == "subaccount-list"
    return render(request, "sms/index.html#subaccount-list" if swap_list else "sms/index.html", context)


def _unknown_creations(request: TenantRequest) -> list[SubaccountCreation]:
    recent = SubaccountCreation.objects.filter(
        tenant=request.tenant,
        status__in=[SubaccountCreation.Status.UNKNOWN, SubaccountCreation.Status.SENDING],
        issued_at__gte=timezone.now() - UNKNOWN_CREATIONS_SHOWN_FOR,
    ).order_by("-issued_at")[:UNKNOWN_CREATIONS_SHOWN]
    return [creation for creation in recent if creation.shown_status == SubaccountCreation.Status.UNKNOWN]


# --- one subaccount: details, limits, delete ---------------------------------------------------------


def _subaccount_or_404(request: TenantRequest, subaccount_id: int) -> Subaccount:
    return get_object_or_404(Subaccount, pk=subaccount_id, tenant=request.tenant)


def _limit_rows(subaccount: Subaccount) -> list[dict[str, object]]:
    """One row per message type, with what was last set from here (None: never set from here)."""
    last_set = {limit.message_type: limit for limit in SubaccountLimit.objects.filter(subaccount=subaccount)}
    return [
        {"type": message_type, "label": label, "limit": last_set.get(message_type)}
        for message_type, label in MessageType.choices
    ]


def _subaccount_context(request: TenantRequest, subaccount: Subaccount, **extra: object) -> dict[str, object]:
    context = _context(
        request,
        "subaccounts",
        subaccount=subaccount,
        limit_rows=_limit_rows(subaccount),
        delete_form=DeleteForm(login=subaccount.login),
    )
    context.update(extra)
    return context


@require_GET
@tenant_view(Role.VIEWER)
def subaccount(request: TenantRequest, subaccount_id: int) -> HttpResponse:
    subaccount = _subaccount_or_404(request, subaccount_id)
    return render(request, "sms/subaccount.html", _subaccount_context(request, subaccount))


@require_POST
@tenant_view(Role.ADMIN)
def subaccount_limit(request: TenantRequest, subaccount_id: int) -> HttpResponse:
    """Set one message type's limit; the limits table is swapped in place under HTMX."""
    subaccount = _subaccount_or_404(request, subaccount_id)
    form = LimitForm(request.POST)
    error, status = "", 200
    account = _connected_account(request)
    if not form.is_valid():
        error, status = _form_error_text(form), 400
    elif account is None:
        error, status = _("Set up the SerwerSMS.pl account first."), 400
    else:
        message_type, value = form.cleaned_data["message_type"], form.cleaned_data["value"]
        try:
            services.set_limit(account, subaccount, request.user, message_type, value)
        except ProviderError as failure:
            error, status = explain(failure), 422
        else:
            text = _("Limit of %(type)s for %(login)s set to %(value)s.") % {
                "type": MessageType(message_type).label,
                "login": subaccount.login,
                "value": value,
            }
            if not request.htmx:
                messages.success(request, text)
                return redirect(
                    "sms:subaccount", tenant_slug=request.tenant.slug, subaccount_id=subaccount.pk
                )
            context = _subaccount_context(request, subaccount, limit_notice=text, limit_type=message_type)
            return render(request, "sms/subaccount.html#limits", context)
    context = _subaccount_context(
        request, subaccount, limit_error=error, limit_type=request.POST.get("message_type", "")
    )
    template = "sms/subaccount.html#limits" if request.htmx else "sms/subaccount.html"
    return render(request, template, context, status=status)


def _form_error_text(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@require_POST
@tenant_view(Role.ADMIN)
def subaccount_delete(request: TenantRequest, subaccount_id: int) -> HttpResponse:
    """Delete after the login is typed to confirm (checked here too, not only by the page's script)."""
    subaccount = _subaccount_or_404(request, subaccount_id)
    form = DeleteForm(request.POST, login=subaccount.login)
    account = _connected_account(request)
    if not form.is_valid():
        context = _subaccount_context(request, subaccount, delete_form=form)
        return render(request, "sms/subaccount.html", context, status=400)
    if account is None:
        context = _subaccount_context(
            request, subaccount, delete_error=_("Set up the SerwerSMS.pl account first.")
        )
        return render(request, "sms/subaccount.html", context, status=400)
    try:
        services.delete_subaccount(account, subaccount, request.user)
    except ProviderError as failure:
        context = _subaccount_context(request, subaccount, delete_error=explain(failure))
        return render(request, "sms/subaccount.html", context, status=422)
    messages.success(request, _("Subaccount %(login)s deleted.") % {"login": subaccount.login})
    return redirect("sms:index", tenant_slug=request.tenant.slug)


# --- creating a subaccount -----------------------------------------------------------------------------


def _create_page(
    request: TenantRequest, form: SubaccountCreateForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = _context(
        request, "subaccounts", form=form, account=_connected_account(request), create_error=error
    )
    return render(request, "sms/subaccount_create.html", context, status=status)


def _fresh_form(request: TenantRequest, data=None) -> SubaccountCreateForm:
    """A form with a new one-time token (keeping what was typed, except the password)."""
    creation = services.issue_creation_form(request.tenant, request.user)
    initial = {"form_token": creation.form_token}
    if data is not None:
        initial.update(
            {field: data.get(field, "") for field in ("template", "login", "name", "phone", "email")}
        )
    return SubaccountCreateForm(initial=initial, tenant=request.tenant)


@never_cache
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
@tenant_view(Role.ADMIN)
def subaccount_create(request: TenantRequest) -> HttpResponse:
    """Create a subaccount from a template; a double-submitted form creates it at most once."""
    account = _connected_account(request)
    if request.method == "GET" or account is None:
        return _create_page(request, _fresh_form(request), status=200 if request.method == "GET" else 400)
    form = SubaccountCreateForm(request.POST, tenant=request.tenant)
    creation = SubaccountCreation.objects.filter(
        tenant=request.tenant, issued_to=request.user, form_token=request.POST.get("form_token", "")
    ).first()
    if creation is None:
        error = _("This form has expired or was opened by someone else; check the data and send it again.")
        return _create_page(request, _fresh_form(request, request.POST), error=error, status=400)
    if creation.status != SubaccountCreation.Status.NEW:
        return _already_sent(request, creation)
    if not form.is_valid():
        return _create_page(request, form, status=400)
    data = form.cleaned_data
    if not services.claim_creation(creation, data["login"], data["template"]):
        return _already_sent(request, creation)
    try:
        subaccount = services.create_subaccount(
            creation,
            account,
            request.user,
            template=data["template"],
            password=data["password"],
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
        )
    except ProviderError as failure:
        if isinstance(failure, UnavailableError) and failure.outcome_unknown:
            return redirect("sms:creation", tenant_slug=request.tenant.slug, creation_id=creation.pk)
        return _create_page(request, _fresh_form(request, request.POST), error=explain(failure), status=422)
    # The password is shown in this one answer and kept nowhere (no redirect: it would need storing).
    context = _context(
        request, "subaccounts", subaccount=subaccount, password=OneTimeSecret(data["password"])
    )
    return render(request, "sms/subaccount_created.html", context)


def _already_sent(request: TenantRequest, creation: SubaccountCreation) -> HttpResponse:
    messages.info(request, _("This form was sent already; it is not sent twice. Here is what happened."))
    return redirect("sms:creation", tenant_slug=request.tenant.slug, creation_id=creation.pk)


@never_cache
@require_GET
@tenant_view(Role.ADMIN)
def creation(request: TenantRequest, creation_id: int) -> HttpResponse:
    """What became of one sent "create a subaccount" form; polls in place while it is being sent."""
    creation = get_object_or_404(SubaccountCreation, pk=creation_id, tenant=request.tenant)
    created = None
    if creation.provider_id is not None:
        created = Subaccount.objects.filter(tenant=request.tenant, provider_id=creation.provider_id).first()
    context = _context(request, "subaccounts", creation=creation, created=created)
    if request.htmx:
        response = render(request, "sms/creation.html#creation-status", context)
        if not creation.is_pending:
            response.status_code = 286  # htmx stops polling
        return response
    return render(request, "sms/creation.html", context)


# --- the account -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("api_token", "api_password")
@tenant_view(Role.ADMIN)
def account(request: TenantRequest) -> HttpResponse:
    """The credentials (write-only secrets), the sign-in method and the optional API base URL."""
    account = _account(request)
    form = AccountForm(request.POST if request.method == "POST" else None, account=account)
    if form.is_bound and form.is_valid():
        services.save_account(request.tenant, request.user, form.cleaned_data)
        messages.success(request, _("SerwerSMS.pl account saved."))
        return redirect("sms:account", tenant_slug=request.tenant.slug)
    context = _context(
        request,
        "account",
        account=account,
        form=form,
        token_hint=secret_hint(account.api_token) if account else "",
        password_hint=secret_hint(account.api_password) if account else "",
    )
    return render(request, "sms/account.html", context, status=400 if form.is_bound else 200)


@require_POST
@tenant_view(Role.ADMIN)
def account_test(request: TenantRequest) -> HttpResponse:
    """Test connection: list the subaccounts with the saved credentials (a read; changes nothing)."""
    account = _connected_account(request)
    ok, text = False, _("Save the credentials first.")
    if account is not None:
        try:
            found = len(account.client().index())
        except ProviderError as failure:
            text = explain(failure)
        else:
            ok = True
            text = ngettext(
                "Connection works: the provider lists %(count)s subaccount.",
                "Connection works: the provider lists %(count)s subaccounts.",
                found,
            ) % {"count": found}
    if request.htmx:
        return render(request, "sms/account.html#connection-result", {"ok": ok, "text": text})
    (messages.success if ok else messages.error)(request, text)
    return redirect("sms:account", tenant_slug=request.tenant.slug)
