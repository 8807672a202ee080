"""What the endpoints of every provider share: the answer schemas of a page and of a problem, the
tenant's account at a provider, and the secrets to mask in what a provider says."""

from typing import Generic, TypeVar

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema

from accounts.models import Tenant
from api.problems import Problem
from premium.models import PremiumAccount
from providers.accounts import ProviderAccount
from sms.models import SerwerSmsAccount
from spikon.models import SpikonAccount

Item = TypeVar("Item")

# The error answers every endpoint may give, for the OpenAPI document.
ERRORS = frozenset({401, 403, 404, 409, 422, 429, 503})


class ProblemOut(Schema):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = None
    provider: dict[str, str | None] | None = None


class PageOut(Schema, Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def answers(ok=None, *, status: int = 200) -> dict:
    """The `response=` of an endpoint: its own answer, and problem details for every error.

    Without `ok` the endpoint answers a file (CSV, PDF, audio) that the schema does not describe.
    """
    return {ERRORS: ProblemOut} if ok is None else {status: ok, ERRORS: ProblemOut}


def file_answer(media_type: str) -> dict:
    """`openapi_extra` of an endpoint that answers a file."""
    return {
        "responses": {
            200: {
                "description": "OK",
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


def configured_account(request: HttpRequest, model: type[ProviderAccount], provider: str) -> ProviderAccount:
    """The tenant's account at a provider, for a call to it; 409 when an admin has not set it up."""
    account = model.objects.filter(tenant=request.tenant).select_related("tenant").first()
    if account is None or not account.is_configured:
        raise Problem(
            "account-not-configured",
            _("An admin must set up the %(provider)s account of this tenant first.") % {"provider": provider},
        )
    return account


def tenant_secrets(tenant: Tenant) -> tuple[str, ...]:
    """The tenant's provider credentials, to mask in any provider text the API answers."""
    found: list[str] = []
    for model in (PremiumAccount, SpikonAccount, SerwerSmsAccount):
        account = model.objects.filter(tenant=tenant).first()
        if account is not None:
            found.extend(account.secrets())
    return tuple(found)
