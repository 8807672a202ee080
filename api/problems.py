"""Errors as RFC 9457 problem details: a type, a title, the status and a detail in the request's language;
for a provider's refusal also the provider's own code and words.

Every error the API answers goes through `problem_response`, so clients parse one shape.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.responses import NinjaJSONEncoder

from accounts.provider_errors import explain
from provider_api.errors import (
    AlreadyExistsError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    NotReadyError,
    ProviderError,
    UnavailableError,
)
from provider_api.redaction import redact

CONTENT_TYPE = "application/problem+json"
# A tag URI (RFC 4151), as RFC 9457 suggests for types that are names rather than pages to fetch.
TYPE_BASE = "tag:telecom-dashboard,2026:problem/"

# slug -> (status, title)
TYPES: dict[str, tuple[int, Any]] = {
    "unauthenticated": (401, gettext_lazy("Missing or unusable API token")),
    "forbidden": (403, gettext_lazy("The token's role does not allow this")),
    "not-found": (404, gettext_lazy("Not found")),
    "method-not-allowed": (405, gettext_lazy("Method not allowed")),
    "conflict": (409, gettext_lazy("Conflict with the current state")),
    "account-not-configured": (409, gettext_lazy("The provider account is not set up")),
    "idempotency-key-in-use": (
        409,
        gettext_lazy("The first request with this Idempotency-Key is still running"),
    ),
    "too-many-to-stream": (409, gettext_lazy("Too many calls to stream in one request")),
    "invalid-input": (422, gettext_lazy("The request has invalid fields")),
    "idempotency-key-reused": (422, gettext_lazy("The Idempotency-Key was used for another request")),
    "rate-limited": (429, gettext_lazy("Too many requests")),
    "provider-refused": (422, gettext_lazy("The provider refused the request")),
    "provider-not-found": (404, gettext_lazy("The provider does not know this object")),
    "provider-conflict": (409, gettext_lazy("The provider refused the request")),
    "provider-forbidden": (403, gettext_lazy("The provider does not allow this for this account")),
    "provider-unavailable": (503, gettext_lazy("The provider is not answering")),
    "outcome-unknown": (503, gettext_lazy("The outcome at the provider is unknown")),
    "server-error": (500, gettext_lazy("Server error")),
}


class Problem(Exception):
    """Raised anywhere in an endpoint: the API answers it as a problem details document."""

    def __init__(
        self,
        slug: str,
        detail: str = "",
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.slug = slug
        self.status, title = TYPES[slug]
        self.title = str(title)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra
        super().__init__(f"{slug}: {detail}")


def invalid(field: str, detail: str, *, location: str = "body") -> Problem:
    """422 naming one field."""
    return Problem(
        "invalid-input",
        _("Check the field %(field)s.") % {"field": field},
        errors=[{"field": field, "in": location, "detail": detail}],
    )


def from_form_errors(form, *, location: str = "body", fields: dict[str, str] | None = None) -> Problem:
    """422 with every error of a Django form (its messages are translated); `fields` renames form fields."""
    fields = fields or {}
    errors = [
        {"field": fields.get(name, name) if name != "__all__" else "", "in": location, "detail": str(message)}
        for name, messages in form.errors.items()
        for message in messages
    ]
    named = sorted({error["field"] for error in errors if error["field"]})
    detail = (
        _("Check the fields: %(fields)s.") % {"fields": ", ".join(named)}
        if named
        else " ".join(error["detail"] for error in errors)
    )
    return Problem("invalid-input", detail, errors=errors)


def from_provider_error(
    error: ProviderError, *, secrets: tuple[str, ...] = (), extra: tuple[str, ...] = ()
) -> Problem:
    """The provider's refusal: our explanation in the request's language, and the provider's code and words,
    with `secrets` (the tenant's provider credentials) and `extra` (e.g. a just-chosen password) masked."""
    if isinstance(error, UnavailableError):
        slug = "outcome-unknown" if error.outcome_unknown else "provider-unavailable"
    elif isinstance(error, AuthenticationError):
        # Our stored credentials were refused: the dashboard cannot serve this until an admin fixes them.
        slug = "provider-unavailable"
    elif isinstance(error, NotFoundError):
        slug = "provider-not-found"
    elif isinstance(error, AlreadyExistsError | NotReadyError):
        slug = "provider-conflict"
    elif isinstance(error, ForbiddenError):
        slug = "provider-forbidden"
    else:  # the provider rejected the data, or refused in words of its own
        slug = "provider-refused"
    provider = {
        "name": error.provider,
        "code": None if error.code is None else str(error.code),
        "message": redact(error.describe(), secrets, extra=extra),
    }
    return Problem(slug, redact(explain(error), secrets, extra=extra), provider=provider)


def problem_body(request: HttpRequest, problem: Problem) -> dict[str, Any]:
    return {
        "type": TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail or problem.title,
        "instance": request.path,
        **problem.extra,
    }


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    response = HttpResponse(
        NinjaJSONEncoder().encode(problem_body(request, problem)),
        status=problem.status,
        content_type=CONTENT_TYPE,
    )
    for header, value in problem.headers.items():
        response[header] = value
    return response
