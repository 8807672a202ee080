from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.tenancy import TenantRequest, tenant_view


@require_GET
@tenant_view(Role.VIEWER)
def index(request: TenantRequest) -> HttpResponse:
    return render(request, "spikon/index.html", {"section": "spikon"})
