"""SerwerSMS.pl subaccount pages: the list (the app's index), a subaccount with its limits, creating one
from a template, deleting one.

Pages read the local copy; the changes call the provider from the request through sms.services.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.fields import OneTimeSecret
from accounts.models import Role
from accounts.pagination import keyset_page
from accounts.tenancy import TenantRequest, tenant_view
from provider_api.errors import ProviderError, UnavailableError
from providers.once import ActionRecord
from sms import services
from sms.forms import DeleteForm, LimitForm, SubaccountCreateForm
from sms.models import MessageType, Subaccount, SubaccountCreation, SubaccountLimit
from sms.sync import RESOURCE, SYNC_KEY
from sms.views.common import connected_account, page_context

PER_PAGE = 50
# Creations of unknown outcome stay on the list page this long, so that someone checks them.
UNKNOWN_CREATIONS_SHOWN_FOR = timedelta(days=7)
UNKNOWN_CREATIONS_SHOWN = 20
SEARCH_MAX_LENGTH = 100


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
    context = page_context(
        request,
        "subaccounts",
        sync=(SYNC_KEY, RESOURCE),
        page=page,
        query=query,
        search_query=urlencode({"q": query}) if query else "",
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
    context = page_context(
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
    account = connected_account(request)
    if not form.is_valid():
        error, status = _form_error_text(form), 400
    elif account is None:
        error, status = _("Set up the SerwerSMS.pl account first."), 400
    else:
        message_type, value = form.cleaned_data["message_type"], form.cleaned_data["value"]
        try:
            services.set_limit(account, subaccount, request.user, message_type, value)
        except ProviderError as failure:
            error, status = account.explain(failure), 422
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
    account = connected_account(request)
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
        context = _subaccount_context(request, subaccount, delete_error=account.explain(failure))
        return render(request, "sms/subaccount.html", context, status=422)
    messages.success(request, _("Subaccount %(login)s deleted.") % {"login": subaccount.login})
    return redirect("sms:index", tenant_slug=request.tenant.slug)


# --- creating a subaccount -----------------------------------------------------------------------------


def _create_page(
    request: TenantRequest, form: SubaccountCreateForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = page_context(request, "subaccounts", form=form, create_error=error)
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
    account = connected_account(request)
    if request.method == "GET" or account is None:
        return _create_page(request, _fresh_form(request), status=200 if request.method == "GET" else 400)
    form = SubaccountCreateForm(request.POST, tenant=request.tenant)
    creation = SubaccountCreation.objects.filter(
        tenant=request.tenant, issued_to=request.user, form_token=request.POST.get("form_token", "")
    ).first()
    if creation is None:
        error = _("This form has expired or was opened by someone else; check the data and send it again.")
        return _create_page(request, _fresh_form(request, request.POST), error=error, status=400)
    if ActionRecord.objects.filter(tenant=request.tenant, key=creation.form_token).exists():
        return _already_sent(request, creation)  # this form acted already: it never acts again
    if not form.is_valid():
        return _create_page(request, form, status=400)
    data = form.cleaned_data
    if not services.claim_creation(creation, request.user, data["login"], data["template"]):
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
        return _create_page(
            request,
            _fresh_form(request, request.POST),
            error=account.explain(failure, extra=(data["password"],)),
            status=422,
        )
    # The password is shown in this one answer and kept nowhere (no redirect: it would need storing).
    context = page_context(
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
    context = page_context(request, "subaccounts", creation=creation, created=created)
    if request.htmx:
        # htmx stops polling once the outcome is known.
        response_class = HttpResponse if creation.is_pending else HttpResponseStopPolling
        return response_class(render_to_string("sms/creation.html#creation-status", context, request))
    return render(request, "sms/creation.html", context)
