"""The tenant's API tokens: made by admins, shown once, revoked here."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.fields import OneTimeSecret
from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view
from api.forms import TokenForm
from api.models import ApiToken


def _tokens_page(request: TenantRequest, form: TokenForm, status: int = 200) -> HttpResponse:
    tokens = ApiToken.objects.filter(tenant=request.tenant).select_related("created_by")
    context = {
        "section": "api-tokens",
        "tokens": tokens,
        "form": form,
        "now": timezone.now(),
        "docs_url": reverse("api-v1:openapi-view"),
    }
    return render(request, "api/tokens.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@tenant_view(Role.ADMIN)
def tokens(request: TenantRequest) -> HttpResponse:
    """The tokens of the tenant and the form that makes one; a new token is shown once, in the answer."""
    if request.method == "GET":
        return _tokens_page(request, TokenForm(creator_role=request.role))
    form = TokenForm(request.POST, creator_role=request.role)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    token, text = ApiToken.issue(
        tenant=request.tenant,
        name=form.cleaned_data["name"],
        role=form.cleaned_data["role"],
        created_by=request.user,
        expires_at=form.expires_at,
    )
    audit.record(
        request.tenant,
        request.user,
        "api.token.create",
        target=token,
        changes={
            "name": (None, token.name),
            "role": (None, Role(token.role).label),
            "expires": (None, form.cleaned_data["expires_on"]),
        },
    )
    # The token is rendered once here, never stored in a message, a log or the session.
    context = {"section": "api-tokens", "token": token, "text": OneTimeSecret(text)}
    return render(request, "api/token_created.html", context)


@require_POST
@tenant_view(Role.ADMIN)
def token_revoke(request: TenantRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, tenant=request.tenant)
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit.record(request.tenant, request.user, "api.token.revoke", target=token)
        messages.success(request, _("Token %(name)s revoked: it no longer works.") % {"name": token.name})
    return redirect("api:tokens", tenant_slug=request.tenant.slug)
