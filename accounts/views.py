from __future__ import annotations

import base64
from datetime import datetime, time, timedelta

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, sync
from accounts.fields import OneTimeSecret
from accounts.forms import (
    AuditFilterForm,
    MemberAddForm,
    MemberRoleForm,
    OtpTokenForm,
    TenantCreateForm,
    TenantSettingsForm,
)
from accounts.members import MemberChangeRefused, add_member, can_manage, change_role, remove_member
from accounts.models import AuditEvent, Membership, Role, WorkerHeartbeat
from accounts.pagination import keyset_page
from accounts.tenancy import TenantRequest, tenant_view
from config.celery import app as celery_app


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The tenant switcher; a member of exactly one tenant goes straight to it."""
    memberships = list(request.user.memberships.select_related("tenant").order_by("tenant__name"))
    if len(memberships) == 1 and not request.user.is_superuser:
        return redirect("tenant-home", tenant_slug=memberships[0].tenant.slug)
    return render(request, "accounts/home.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
@login_required
def tenant_create(request: HttpRequest) -> HttpResponse:
    """A staff superuser creates a tenant and becomes its first owner."""
    if not (request.user.is_staff and request.user.is_superuser):
        raise PermissionDenied(_("Only a staff superuser can create tenants."))
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            tenant = form.save()
            Membership.objects.create(tenant=tenant, user=request.user, role=Role.OWNER)
            audit.record(
                tenant,
                request.user,
                "tenant.create",
                target=tenant,
                changes={"name": (None, tenant.name), "time zone": (None, tenant.time_zone)},
            )
        messages.success(request, _("Tenant “%(name)s” created; you are its owner.") % {"name": tenant.name})
        return redirect("tenant-home", tenant_slug=tenant.slug)
    return render(request, "accounts/tenant_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
@tenant_view(Role.OWNER)
def tenant_settings(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    fields = {"name": "name", "time zone": "time_zone", "two-factor required": "two_factor_required"}
    before = {label: getattr(tenant, name) for label, name in fields.items()}
    form = TenantSettingsForm(request.POST or None, instance=tenant)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            tenant = form.save()
            after = {label: getattr(tenant, name) for label, name in fields.items()}
            changes = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            if changes:
                audit.record(tenant, request.user, "tenant.settings", target=tenant, changes=changes)
        messages.success(request, _("Settings saved."))
        return redirect("tenant-settings", tenant_slug=tenant.slug)
    return render(request, "accounts/tenant_settings.html", {"section": "settings", "form": form})


def _members_context(request: TenantRequest, **extra: object) -> dict[str, object]:
    memberships = Membership.objects.filter(tenant=request.tenant).select_related("user")
    rows = [
        {
            "membership": m,
            "manageable": can_manage(request.role, m.role) and m.user_id != request.user.pk,
            "form": MemberRoleForm(initial={"role": m.role}, actor_role=request.role),
        }
        for m in memberships
    ]
    context: dict[str, object] = {
        "section": "members",
        "rows": rows,
        "add_form": MemberAddForm(actor_role=request.role),
    }
    context.update(extra)
    return context


@require_GET
@tenant_view(Role.ADMIN)
def members(request: TenantRequest) -> HttpResponse:
    return render(request, "accounts/members.html", _members_context(request))


@require_POST
@tenant_view(Role.ADMIN)
def member_add(request: TenantRequest) -> HttpResponse:
    form = MemberAddForm(request.POST, actor_role=request.role)
    if not form.is_valid():
        return render(request, "accounts/members.html", _members_context(request, add_form=form), status=400)
    try:
        membership, password = add_member(
            request.tenant,
            request.user,
            request.role,
            form.cleaned_data["username"],
            form.cleaned_data["email"],
            form.cleaned_data["role"],
        )
    except MemberChangeRefused as refusal:
        form.add_error(None, str(refusal))
        return render(request, "accounts/members.html", _members_context(request, add_form=form), status=400)
    if password is None:
        messages.success(request, _("%(username)s added.") % {"username": membership.user.username})
        return redirect("members", tenant_slug=request.tenant.slug)
    # The one-time password is rendered once here, never stored in a message or a log.
    return render(
        request,
        "accounts/member_created.html",
        {"section": "members", "membership": membership, "password": OneTimeSecret(password)},
    )


def _member_or_404(request: TenantRequest, member_id: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=member_id, tenant=request.tenant)


def _member_change_response(request: TenantRequest, error: str = "") -> HttpResponse:
    if request.htmx:
        status = 400 if error else 200
        context = _members_context(request, error=error)
        return render(request, "accounts/members.html#member-table", context, status=status)
    if error:
        messages.error(request, error)
    return redirect("members", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def member_role(request: TenantRequest, member_id: int) -> HttpResponse:
    membership = _member_or_404(request, member_id)
    form = MemberRoleForm(request.POST, actor_role=request.role)
    if not form.is_valid():
        return _member_change_response(request, _("Choose one of the offered roles."))
    try:
        change_role(request.tenant, request.user, request.role, membership, form.cleaned_data["role"])
    except MemberChangeRefused as refusal:
        return _member_change_response(request, str(refusal))
    messages.success(request, _("Role of %(username)s changed.") % {"username": membership.user.username})
    return _member_change_response(request)


@require_POST
@tenant_view(Role.ADMIN)
def member_remove(request: TenantRequest, member_id: int) -> HttpResponse:
    membership = _member_or_404(request, member_id)
    try:
        remove_member(request.tenant, request.user, request.role, membership)
    except MemberChangeRefused as refusal:
        return _member_change_response(request, str(refusal))
    messages.success(request, _("%(username)s removed.") % {"username": membership.user.username})
    return _member_change_response(request)


@require_GET
@tenant_view(Role.OPERATOR)
def audit_log(request: TenantRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.filter(tenant=request.tenant)
    if form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            events = events.filter(username=data["user"])
        if data["action"]:
            events = events.filter(action__startswith=data["action"])
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            events = events.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tz))
        if data["date_to"]:
            end = datetime.combine(data["date_to"] + timedelta(days=1), time.min, tz)
            events = events.filter(created_at__lt=end)
    elif form.is_bound:
        events = events.none()
    page = keyset_page(events, request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "section": "audit",
        "form": form,
        "page": page,
        "filter_query": query.urlencode(),
        "usernames": Membership.objects.filter(tenant=request.tenant)
        .order_by("user__username")
        .values_list("user__username", flat=True),
    }
    template = "accounts/audit_log.html#audit-results" if request.htmx else "accounts/audit_log.html"
    return render(request, template, context)


@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a database or broker blip restarts nothing."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Readiness (200 or 503): the database and the broker answer, and a worker ran the heartbeat lately."""
    checks: dict[str, object] = {}
    worker_ok = False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
        heartbeat = WorkerHeartbeat.objects.filter(name="default").first()
        checks["worker_last_seen"] = heartbeat.seen_at.isoformat() if heartbeat else None
        worker_ok = (
            heartbeat is not None and timezone.now() - heartbeat.seen_at <= settings.WORKER_HEARTBEAT_MAX_AGE
        )
    except Exception as exc:  # any failure of the database means "not ready", whatever its class
        checks["database"] = f"error: {exc.__class__.__name__}"
    checks["worker"] = "ok" if worker_ok else "error: no heartbeat for too long"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # same: any broker failure is reported, not raised
        checks["broker"] = f"error: {exc.__class__.__name__}"
    ready = checks["database"] == "ok" and checks["broker"] == "ok" and worker_ok
    return JsonResponse({"status": "ok" if ready else "error", **checks}, status=200 if ready else 503)


def _same_site_referer(request: HttpRequest) -> str:
    referer = request.headers.get("Referer", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if safe else ""


@require_http_methods(["GET", "POST"])
@tenant_view(Role.VIEWER)
def sync_status(request: TenantRequest, provider: str, resource: str) -> HttpResponse:
    """GET: the sync line of a list (polled while busy). POST (operator): queue a refresh."""
    kind = sync.kind_for(provider, resource)
    if kind is None:
        raise Http404("No such sync.")
    if request.method == "POST":
        if request.role < Role.OPERATOR:
            raise PermissionDenied(_("Refreshing needs the operator role."))
        sync.queue_sync(request.tenant, provider, resource)
        if not request.htmx:
            messages.info(request, _("Refresh queued."))
            return redirect(_same_site_referer(request) or reverse("tenant-home", args=[request.tenant.slug]))
    status = sync.get_status(request.tenant, provider, resource)
    context = {
        "status": status,
        "tenant": request.tenant,
        "provider": provider,
        "resource": resource,
        "can_refresh": request.role >= Role.OPERATOR,
    }
    response = render(request, "includes/sync_status.html", context)
    if request.method == "GET" and request.htmx and not status.is_busy:
        # Polling stops once the sync has ended; the page reloads to show the new data.
        response.status_code = 286
        response["HX-Refresh"] = "true"
    return response


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else reverse("home")


def _qr_code_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows data: images; no inline SVG script risk)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


@require_http_methods(["GET", "POST"])
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (or turn off) an authenticator app for the logged-in user."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    form = OtpTokenForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            if confirmed.verify_token(form.cleaned_data["token"]):
                TOTPDevice.objects.filter(user=request.user).delete()
                messages.success(request, _("Two-factor login turned off."))
                return redirect("two-factor")
            form.add_error("token", _("That code is not right (or has expired). Try the current one."))
        return render(request, "accounts/two_factor.html", {"enabled": True, "form": form}, status=200)

    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor login is on. Each login will ask for a code."))
            return redirect(_safe_next(request))
        form.add_error("token", _("That code is not right (or has expired). Try the current one."))
    context = {
        "enabled": False,
        "form": form,
        "qr_code": _qr_code_data_uri(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _safe_next(request),
    }
    return render(request, "accounts/two_factor.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login for a user with an authenticator."""
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("That code is not right (or has expired). Try the current one."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})
