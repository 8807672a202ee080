from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

from accounts.views import healthz_live, healthz_ready


def client_address(meta: dict, trusted_proxies: int) -> str:
    """The address the request came from, behind `trusted_proxies` proxies that each append to X-Forwarded-For.

    The last proxy's own address is REMOTE_ADDR; the entry it appended is the one before it, and so on:
    the client is the `trusted_proxies`-th entry from the right. Entries further left were written by
    the client itself and prove nothing. Without enough entries (a request that did not come through
    the proxies) or with a malformed one, REMOTE_ADDR stands.
    """
    remote = meta.get("REMOTE_ADDR", "")
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if trusted_proxies < 1 or len(hops) < trusted_proxies:
        return remote
    candidate = hops[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class ClientAddressMiddleware:
    """Behind the TLS proxy, REMOTE_ADDR becomes the client's address (for the login lockout and the logs).

    First in the chain, so that everything after it - django-axes included - sees the client, not the proxy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.BEHIND_TLS_PROXY:
            request.META["REMOTE_ADDR"] = client_address(request.META, settings.TRUSTED_PROXY_COUNT)
        return self.get_response(request)


class HtmxMessagesMiddleware:
    """Adds pending messages to an HTMX response as an out-of-band swap of the notices area.

    Without it, a message added during an HTMX request would only show on the next full page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not getattr(request, "htmx", False)
            or response.streaming
            or 300 <= response.status_code < 400
            or "HX-Redirect" in response
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        storage = get_messages(request)
        if not storage:
            return response
        response.write(
            render_to_string("includes/messages.html", {"messages": storage, "oob": True}, request=request)
        )
        return response


class HealthCheckMiddleware:
    """Answers the health checks before host validation and the HTTPS redirect.

    Container and load-balancer probes call it by IP over plain HTTP, which ALLOWED_HOSTS and
    SECURE_SSL_REDIRECT would otherwise refuse.
    """

    # /healthz: what probes called before readiness and liveness were apart; it means ready.
    VIEWS = {"/healthz/live": healthz_live, "/healthz/ready": healthz_ready, "/healthz": healthz_ready}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.VIEWS.get(request.path)
        return view(request) if view else self.get_response(request)


class TwoFactorMiddleware:
    """A user who has an authenticator must enter its code before seeing any page.

    Runs after django-otp's OTPMiddleware, which tells whether this session is verified.
    """

    EXEMPT_URL_NAMES = ("two-factor-verify", "logout", "set_language", "healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(settings.STATIC_URL)
            and request.path not in {reverse(name) for name in self.EXEMPT_URL_NAMES}
            and user_has_device(user, confirmed=True)
        ):
            return redirect(f"{reverse('two-factor-verify')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """A user whose password someone else chose (`must_change_password`) sets their own before anything else."""

    ALLOWED_URL_NAMES = (
        "password_change",
        "password_change_done",
        "logout",
        "set_language",
        "two-factor-verify",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.must_change_password
            and not request.path.startswith(settings.STATIC_URL)
            and request.path not in {reverse(name) for name in self.ALLOWED_URL_NAMES}
        ):
            messages.warning(request, _("Your password was set by someone else: choose your own to go on."))
            return redirect("password_change")
        return self.get_response(request)


class NullCharacterMiddleware:
    """Refuses a request whose query or form carries a NUL character (400), before any view sees it.

    No text the dashboard takes contains one, and PostgreSQL cannot store or even compare it: a view
    passing such a value to a query would fail with a server error instead of a clear refusal.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for data in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values if isinstance(value, str)):
                    raise BadRequest("A NUL character in the request's parameters.")
        return self.get_response(request)


class HtmxRefusedFormMiddleware:
    """Answers 422 instead of 400 to an HTMX request: the answer carries the form back with its errors,
    which HTMX swaps in place (base.html's htmx-config). A 400 is what django-htmx's development script
    treats as a crash, replacing the whole page with the fragment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "htmx", False) and response.status_code == 400:
            response.status_code = 422
        return response
