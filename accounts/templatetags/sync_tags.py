from django import template

from accounts.models import Role, Tenant
from accounts.sync import get_status

register = template.Library()


@register.inclusion_tag("includes/sync_status.html", takes_context=True)
def sync_status(context, tenant: Tenant, provider: str, resource: str) -> dict[str, object]:
    """The "last synced … / Refresh" line of a list, polling in place while a sync runs."""
    request = context["request"]
    return {
        "request": request,
        "status": get_status(tenant, provider, resource),
        "tenant": tenant,
        "provider": provider,
        "resource": resource,
        "csrf_token": context.get("csrf_token"),
        "can_refresh": getattr(request, "role", Role.VIEWER) >= Role.OPERATOR,
    }
