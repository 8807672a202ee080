"""Bearer tokens: who is asking, in which tenant, with which role.

A token acts in its own tenant only, with its role capped by the current role of the member who made it
(a member demoted or removed takes their tokens' power with them). Each endpoint says the role it needs
with `requires(min_role)`, as a page does with `tenant_view`; `TokenRouter` makes that role part of the
endpoint's authentication, so 401 and 403 are answered before the request's body is even read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from ninja.security import HttpBearer

from accounts import audit
from accounts.models import Membership, Role
from api.models import TOKEN_MARK, ApiToken
from api.problems import Problem
from api.ratelimit import check_rate

# Writing the last use on every request would cost an UPDATE each; once a minute says enough.
LAST_USE_PRECISION_SECONDS = 60


def _unauthenticated(detail: str) -> Problem:
    return Problem("unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


class TokenAuth(HttpBearer):
    def __init__(self, min_role: Role = Role.VIEWER) -> None:
        super().__init__()
        self.min_role = min_role

    def __call__(self, request: HttpRequest) -> ApiToken:
        # Read here rather than by HttpBearer, which logs a header of another scheme whole (a token sent as
        # "Token dsh_…" would reach the log).
        scheme, _sep, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise _unauthenticated(_("Send an API token in the header: Authorization: Bearer <token>."))
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        prefix, _sep, secret = token.removeprefix(TOKEN_MARK).partition("_")
        found = (
            ApiToken.objects.select_related("tenant", "created_by").filter(prefix=prefix).first()
            if token.startswith(TOKEN_MARK) and secret
            else None
        )
        if found is None or not found.matches(secret):
            raise _unauthenticated(_("This API token is not valid."))
        if found.revoked_at is not None:
            raise _unauthenticated(_("This API token was revoked."))
        if not found.is_usable:
            raise _unauthenticated(_("This API token has expired."))
        membership = Membership.objects.filter(user_id=found.created_by_id, tenant=found.tenant).first()
        if membership is None:
            raise _unauthenticated(_("The member who made this API token is no longer in the tenant."))
        check_rate(found)
        _note_use(request, found)
        request.tenant = found.tenant
        request.role = Role(min(found.role, membership.role))
        request.user = found.created_by
        request.api_token = found
        if request.role < self.min_role:
            raise Problem(
                "forbidden",
                _("This needs the %(needed)s role; this token acts as %(role)s.")
                % {"needed": self.min_role.label, "role": request.role.label},
            )
        return found


def _note_use(request: HttpRequest, token: ApiToken) -> None:
    now = timezone.now()
    address = request.META.get("REMOTE_ADDR") or None
    recent = token.last_used_at and (now - token.last_used_at).total_seconds() < LAST_USE_PRECISION_SECONDS
    if recent and token.last_used_from == address:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address)


def requires(min_role: Role) -> Callable:
    """The role the endpoint needs (TokenRouter enforces it); inside the endpoint, audit events name the
    token and times are the tenant's, as on its pages."""

    def decorator(endpoint: Callable) -> Callable:
        @wraps(endpoint)
        def wrapper(request: HttpRequest, *args, **kwargs):
            with (
                audit.acting_through(request.api_token.audit_label),
                timezone.override(request.tenant.time_zone),
            ):
                return endpoint(request, *args, **kwargs)

        wrapper.min_role = min_role
        return wrapper

    return decorator


class TokenRouter(Router):
    """A router whose every endpoint authenticates the token with the role the endpoint `requires`."""

    def add_api_operation(self, path: str, methods: list[str], view_func: Callable, **kwargs) -> None:
        kwargs["auth"] = TokenAuth(view_func.min_role)
        super().add_api_operation(path, methods, view_func, **kwargs)
