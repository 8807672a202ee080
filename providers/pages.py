"""The page shell of the provider apps: each app's `<app>/base.html` extends `providers/page.html` and
its views build the context with `page_context`, the sub-navigation declared as data (SubPage)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Role
from accounts.tenancy import TenantRequest
from providers.accounts import TestOutcome


@dataclass(frozen=True)
class SubPage:
    """One entry of an app's sub-navigation; shown to members of `min_role` and above."""

    key: str
    label: str
    url_name: str
    min_role: int = Role.VIEWER


def page_context(
    request: TenantRequest,
    *,
    provider_name: str,
    pages: tuple[SubPage, ...],
    current: str,
    account,
    account_page: str,
    sync: tuple[str, str] | None = None,
    **extra: object,
) -> dict[str, object]:
    """What the shell shows: the sub-navigation with `current` marked, the notice while the tenant has no
    working account (not on the account page itself), and the sync line of `sync` (provider, resource)."""
    slug = request.tenant.slug
    configured = account is not None and account.is_configured
    context: dict[str, object] = {
        "section": pages[0].url_name.split(":")[0],
        "provider_name": provider_name,
        "subnav": [
            {
                "label": page.label,
                "url": reverse(page.url_name, kwargs={"tenant_slug": slug}),
                "current": page.key == current,
            }
            for page in pages
            if request.role >= page.min_role
        ],
        "account": account,
        "configured": configured,
        "account_missing": not configured and current != account_page,
        "account_url": reverse(_url_of(pages, account_page), kwargs={"tenant_slug": slug})
        if request.role >= Role.ADMIN
        else "",
        "sync_provider": sync[0] if sync else "",
        "sync_resource": sync[1] if sync else "",
        "can_operate": request.role >= Role.OPERATOR,
        "can_manage": request.role >= Role.ADMIN,
    }
    context.update(extra)
    return context


def url_for_each(
    name: str, id_argument: str, *, stand_in: str = "987654321", **kwargs: object
) -> Callable[[object], str]:
    """reverse() once for the rows of a list: the URL `name` with `id_argument` set per row.

    A row's URL was reverse()d in its template row, some 20 µs each, two or three per row; this reverses
    with a stand-in id (one its converter accepts) and puts each row's id in its place. The id is the
    URL's last argument, so its stand-in is the last one found.
    """
    before, _, after = reverse(name, kwargs={**kwargs, id_argument: stand_in}).rpartition(stand_in)
    return lambda row_id: f"{before}{row_id}{after}"


def _url_of(pages: tuple[SubPage, ...], key: str) -> str:
    return next(page.url_name for page in pages if page.key == key)


def connection_test_response(request: TenantRequest, outcome: TestOutcome, account_page: str) -> HttpResponse:
    """Test connection's answer, alike in every app: in place under HTMX, else a message on the account page
    (`account_page`: its URL name)."""
    if request.htmx:
        return render(request, "providers/connection_result.html", {"outcome": outcome})
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return redirect(account_page, tenant_slug=request.tenant.slug)
