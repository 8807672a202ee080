"""The role matrix, generated from the URL configuration: every tenant URL, every role.

A new tenant URL is covered the moment it is added: it must be a `tenant_view` (or this test
fails), and if it takes an id, its app's tests/matrix.py must say how to make one.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role

TENANT_PREFIX = "t/<slug:tenant_slug>/"


@dataclass(frozen=True)
class TenantUrl:
    name: str
    route: str
    min_role: Role | None
    params: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, entry.callback


def tenant_urls() -> list[TenantUrl]:
    found = []
    for route, name, callback in _walk(get_resolver().url_patterns):
        if not route.startswith(TENANT_PREFIX):
            continue
        params = tuple(
            part.split(":")[-1].rstrip(">")
            for part in route.split("<")[1:]
            if not part.startswith("slug:tenant_slug")
        )
        found.append(TenantUrl(name or route, route, getattr(callback, "min_role", None), params))
    return found


def _matrix_modules():
    for config in apps.get_app_configs():
        if Path(config.path).parent != settings.BASE_DIR:
            continue  # installed packages have no tenant URLs
        module_name = f"{config.name}.tests.matrix"
        if find_spec(f"{config.name}.tests") and find_spec(module_name):
            yield import_module(module_name)


def object_factories() -> dict:
    factories = {}
    for module in _matrix_modules():
        factories.update(module.OBJECTS)
    return factories


def not_tenant_objects() -> set[str]:
    """URL names whose kwargs name no object of a tenant (e.g. a sync kind): no IDOR to test."""
    return {name for module in _matrix_modules() for name in getattr(module, "NOT_TENANT_OBJECTS", ())}


TENANT_URLS = tenant_urls()


def test_every_tenant_url_is_a_tenant_view_with_a_name():
    assert TENANT_URLS, "no tenant URLs found: the walk of the URL configuration is broken"
    for url in TENANT_URLS:
        assert url.min_role is not None, f"{url.route} is not decorated with accounts.tenancy.tenant_view"
        assert ":" in url.name or url.name.replace("-", "").isalnum(), f"{url.route} has no URL name"


def _request(client, url: str):
    """GET, or POST (empty) for a view that only takes POST."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


@pytest.mark.parametrize("tenant_url", TENANT_URLS, ids=[u.name for u in TENANT_URLS])
def test_role_matrix(tenant_url, tenant, members, outsider, client):
    factories = object_factories()
    if tenant_url.params:
        assert tenant_url.name in factories, (
            f"{tenant_url.name} takes {tenant_url.params}: add a factory to its app's tests/matrix.py OBJECTS"
        )

    def fresh_url() -> str:
        """A new object for each request: a POST by one role may delete what the next one needs."""
        kwargs = {"tenant_slug": tenant.slug}
        if tenant_url.params:
            kwargs.update(factories[tenant_url.name](tenant))
        return reverse(tenant_url.name, kwargs=kwargs)

    url = fresh_url()
    anonymous = _request(client, url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url

    client.force_login(outsider)
    assert _request(client, url).status_code == 404, f"an outsider must get 404 at {url}"

    for role, user in sorted(members.items()):
        client.force_login(user)
        url = fresh_url()
        status = _request(client, url).status_code
        if role < tenant_url.min_role:
            assert status == 403, f"{role.label} must get 403 at {url}, got {status}"
        else:
            assert status not in (403, 404, 405) and status < 500, (
                f"{role.label} must be let in at {url}, got {status}"
            )


OBJECT_URLS = [u for u in TENANT_URLS if u.params and u.name not in not_tenant_objects()]


@pytest.mark.parametrize("tenant_url", OBJECT_URLS, ids=[u.name for u in OBJECT_URLS])
def test_another_tenants_object_is_not_found(tenant_url, tenant, other_tenant, owner, client):
    """IDOR: an id of another tenant's object, under this tenant's URL, is 404 even for an owner."""
    foreign_kwargs = object_factories()[tenant_url.name](other_tenant)
    url = reverse(tenant_url.name, kwargs={"tenant_slug": tenant.slug, **foreign_kwargs})
    client.force_login(owner)
    response = _request(client, url)
    assert response.status_code == 404, f"{url} answered {response.status_code} for another tenant's object"


@pytest.mark.parametrize("tenant_url", TENANT_URLS, ids=[u.name for u in TENANT_URLS])
def test_state_changing_requests_need_the_csrf_token(tenant_url, tenant, owner):
    """Every POST to a tenant URL, HTMX or not, is refused without the CSRF token."""
    from django.test import Client

    factories = object_factories()
    kwargs = {"tenant_slug": tenant.slug}
    if tenant_url.params:
        kwargs.update(factories[tenant_url.name](tenant))
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse(tenant_url.name, kwargs=kwargs)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        status = client.post(url, {}, **headers).status_code
        assert status in (403, 405), f"POST {url} without a CSRF token answered {status}"
