from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url: str
    sections: tuple[str, ...]  # the sections (a page's `section`) that highlight it


# (label, URL name, the section a page declares to be highlighted, minimum role)
TENANT_NAVIGATION = [
    (_("Overview"), "tenant-home", "home", Role.VIEWER),
    (_("Numery-Premium"), "premium:index", "premium", Role.VIEWER),
    (_("SPIKON"), "spikon:index", "spikon", Role.VIEWER),
    (_("SerwerSMS"), "sms:index", "sms", Role.VIEWER),
    (_("Alerts"), "alerts:index", "alerts", Role.VIEWER),
    (_("Schedules"), "redirect_schedules:list", "schedules", Role.VIEWER),
    (_("Snapshots"), "snapshots:list", "snapshots", Role.VIEWER),
]

# The organisation's own pages: one entry of the navigation ("Organisation", leading to the first of them
# the member may open) and their sub-navigation (templates/accounts/organisation.html).
ORGANISATION_LABEL = _("Organisation")
ORGANISATION_PAGES = [
    (_("Members"), "members", "members", Role.ADMIN),
    (_("Audit log"), "audit-log", "audit", Role.OPERATOR),
    (_("API tokens"), "api:tokens", "api-tokens", Role.ADMIN),
    (_("Settings"), "tenant-settings", "settings", Role.OWNER),
]


def _entries(pages, tenant_slug: str, role: int) -> list[NavEntry]:
    return [
        NavEntry(label, reverse(name, kwargs={"tenant_slug": tenant_slug}), (section,))
        for label, name, section, min_role in pages
        if role >= min_role
    ]


def navigation(request: HttpRequest) -> dict[str, object]:
    """The tenant navigation for the current member, the organisation's sub-navigation, and the tenants
    they can switch to."""
    tenant = getattr(request, "tenant", None)
    role = getattr(request, "role", None)
    if tenant is None or role is None:
        return {}
    entries = _entries(TENANT_NAVIGATION, tenant.slug, role)
    organisation = _entries(ORGANISATION_PAGES, tenant.slug, role)
    if organisation:
        sections = tuple(section for entry in organisation for section in entry.sections)
        entries.append(NavEntry(ORGANISATION_LABEL, organisation[0].url, sections))
    other_tenants = (
        request.user.memberships.exclude(tenant=tenant).select_related("tenant").order_by("tenant__name")
    )
    return {"tenant_nav": entries, "organisation_nav": organisation, "other_memberships": other_tenants}
