"""The one place that resolves the tenant of a URL and the member's role.

Every tenant view is decorated with `tenant_view(min_role)`: the URL's `tenant_slug` is
turned into `request.tenant`, `request.membership` and `request.role`. A user who is not a
member gets 404 (the tenant's existence is not revealed), a member below `min_role` gets 403,
and in a tenant that requires two-factor login, a member without it is sent to set it up.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, Tenant


class TenantRequest(HttpRequest):
    """The request a tenant view receives (for type checkers; set by `tenant_view`)."""

    tenant: Tenant
    membership: Membership
    role: Role


def resolve_tenant(request: HttpRequest, tenant_slug: str, min_role: Role) -> tuple[Tenant, Role]:
    """Return the tenant and the member's role, or raise 404 (not a member) / 403 (role too low)."""
    membership = (
        Membership.objects.select_related("tenant")
        .filter(user_id=request.user.pk, tenant__slug=tenant_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such tenant.")
    role = Role(membership.role)
    if role < min_role:
        raise PermissionDenied(f"This needs the {min_role.label} role.")
    request.tenant = membership.tenant
    request.membership = membership
    request.role = role
    return membership.tenant, role


def tenant_view(min_role: Role) -> Callable:
    """Decorate a view taking `(request, **kwargs)` under a URL with `<slug:tenant_slug>`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, tenant_slug: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            tenant, _role = resolve_tenant(request, tenant_slug, min_role)
            if tenant.two_factor_required and not request.user.is_verified():
                # Users with an authenticator were already asked for a code (TwoFactorMiddleware).
                messages.warning(
                    request, _("%(tenant)s requires two-factor login: set it up first.") % {"tenant": tenant}
                )
                return redirect(f"{reverse('two-factor')}?{urlencode({'next': request.get_full_path()})}")
            # Times on the tenant's pages are shown in the tenant's own time zone.
            with timezone.override(tenant.time_zone):
                return view(request, *args, **kwargs)

        wrapper.min_role = min_role  # read by the role-matrix test
        return wrapper

    return decorator
