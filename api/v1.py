"""The REST API, version 1, at /api/v1/: the endpoints of each provider, the error shape, the docs."""

import logging
from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.docs import DocsBase

from api.endpoints import premium, sms, spikon
from api.endpoints.common import tenant_secrets
from api.problems import Problem, from_provider_error, problem_response
from provider_api.errors import ProviderError

logger = logging.getLogger(__name__)

DESCRIPTION = """
One token, one tenant: send it as `Authorization: Bearer <token>` (an admin makes tokens on the tenant's
**API tokens** page). The token acts with its role (viewer, operator or admin) in its tenant only.

Calls that act or cost money (buy, send, generate, call, create) need an `Idempotency-Key` header: the
same key answers the first outcome again and never acts twice; the same key with another body is refused.

Errors are problem details (RFC 9457, `application/problem+json`) in the language of `Accept-Language`
(Polish by default). Lists are paged by cursor: pass the `next_cursor` of a page as `cursor`.
Each token may make a limited number of requests a minute; over it the answer is 429 with `Retry-After`.
"""


class Docs(DocsBase):
    """Swagger UI from our own static files, started by a script file: the strict CSP needs no exception."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        return render(
            request, "api/docs.html", {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)}
        )


class DashboardApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """The provider and the endpoint, e.g. premium_numbers or spikon_sms_send: what client generators name
        their methods after."""
        return f"{operation.view_func.__module__.rsplit('.', 1)[-1]}_{operation.view_func.__name__}"


api = DashboardApi(
    title="Telecom dashboard API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs=Docs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/premium", premium.router)
api.add_router("/sms", sms.router)
api.add_router("/spikon", spikon.router)


# Which pydantic error says what, in the operator's language.
FIELD_ERRORS = {
    "missing": gettext_lazy("This field is required."),
    "extra_forbidden": gettext_lazy("This field is not known."),
    "string_too_long": gettext_lazy("This value is too long."),
    "string_too_short": gettext_lazy("This value is too short."),
    "too_long": gettext_lazy("There are too many values."),
    "too_short": gettext_lazy("There are too few values."),
    "greater_than_equal": gettext_lazy("This value is too small."),
    "less_than_equal": gettext_lazy("This value is too large."),
    "enum": gettext_lazy("Choose one of the allowed values."),
    "literal_error": gettext_lazy("Choose one of the allowed values."),
    "json_invalid": gettext_lazy("The body is not valid JSON."),
}


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location, *path = [str(part) for part in error.get("loc", ())] or ["body"]
        if path and path[0] in ("payload", "filters", "data"):  # the endpoint's own name for the whole body
            path = path[1:]
        errors.append(
            {
                "field": ".".join(path),
                "in": location,
                "detail": str(FIELD_ERRORS.get(error.get("type", ""), gettext_lazy("Enter a valid value."))),
            }
        )
    named = sorted({error["field"] for error in errors if error["field"]})
    detail = (
        _("Check the fields: %(fields)s.") % {"fields": ", ".join(named)}
        if named
        else _("Check the request.")
    )
    return problem_response(request, Problem("invalid-input", detail, errors=errors))


@api.exception_handler(Problem)
def problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


@api.exception_handler(ProviderError)
def provider_error(request: HttpRequest, exc: ProviderError) -> HttpResponse:
    return problem_response(request, from_provider_error(exc, secrets=tenant_secrets(request.tenant)))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, Problem("not-found", _("There is no such object in this tenant.")))



def _wrong_method_as_problem(view: Callable) -> Callable:
    """A wrong method is answered as a problem too (django-ninja answers it in plain text)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405:
            return response
        allowed = response["Allow"]
        problem = Problem("method-not-allowed", _("Use %(methods)s here.") % {"methods": allowed})
        refused = problem_response(request, problem)
        refused["Allow"] = allowed
        return refused

    return wrapper


def url_patterns() -> tuple[list, str, str]:
    """The API's URL configuration, for config/urls.py."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _wrong_method_as_problem(pattern.callback)
    return patterns, app_name, namespace


@csrf_exempt  # as every API endpoint: a token, not a cookie, says who asks
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other address under /api/v1/: a problem too, not the site's HTML 404 page."""
    return problem_response(request, Problem("not-found", _("There is no such endpoint; see /api/v1/docs.")))


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request failed: %s %s", request.method, request.path)
    return problem_response(request, Problem("server-error", _("Something went wrong on our side.")))
