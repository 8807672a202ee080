from __future__ import annotations

from django.apps import apps
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Tenant
from providers.accounts import ProviderAccount


def sandbox_providers(tenant: Tenant) -> list[str]:
    """The providers whose account of `tenant` points at a sandbox, that is at another address than the
    provider's own (the account form's rule): what their pages show is demo data. One query for all."""
    models = [model for model in apps.get_models() if issubclass(model, ProviderAccount)]
    addresses = (
        Tenant.objects.filter(pk=tenant.pk)
        .values_list(*(f"{model._meta.app_label}_account__base_url" for model in models))
        .first()
    )
    return [
        model.PROVIDER
        for model, address in zip(models, addresses or (), strict=False)
        if address and address.rstrip("/") != model.OFFICIAL_URL.rstrip("/")
    ]


def demo_data(request: HttpRequest) -> dict[str, object]:
    """For the "demo data" strip of base.html; read only when a whole page is rendered."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return {}
    return {"sandbox_providers": SimpleLazyObject(lambda: sandbox_providers(tenant))}
