from __future__ import annotations

import base64
import contextlib
import hashlib
from datetime import datetime, time, timedelta

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, sync
from accounts.emails import EmailNotSent, EmailOff, send_invitation, send_recovery_code_warning
from accounts.forms import (
    AuditFilterForm,
    InviteForm,
    MemberRoleForm,
    OtpTokenForm,
    SecondFactorForm,
    SignUpForm,
    TenantCreateForm,
    TenantSettingsForm,
)
from accounts.members import (
    MemberChangeRefused,
    accept_invitation,
    can_manage,
    change_role,
    invite,
    pending_invitation,
    remove_member,
    resend_invitation,
    revoke_invitation,
)
from accounts.models import AuditEvent, Invitation, Membership, Role, User, WorkerHeartbeat
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
            changes = audit.changed(before, after)
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
    invitations = [
        {"invitation": invitation, "manageable": can_manage(request.role, invitation.role)}
        for invitation in Invitation.objects.filter(tenant=request.tenant).select_related("invited_by")
    ]
    context: dict[str, object] = {
        "section": "members",
        "rows": rows,
        "invitations": invitations,
        "invite_form": InviteForm(actor_role=request.role),
    }
    context.update(extra)
    return context


@require_GET
@tenant_view(Role.ADMIN)
def members(request: TenantRequest) -> HttpResponse:
    return render(request, "accounts/members.html", _members_context(request))


def _send_invitation(request: TenantRequest, invitation: Invitation, token: str) -> None:
    try:
        send_invitation(request, invitation, token)
    except EmailOff:
        messages.error(
            request,
            _(
                "The invitation to %(email)s is saved, but this server sends no email (EMAIL_URL is not set): "
                "ask the server's administrator to create the user with the createuser command."
            )
            % {"email": invitation.email},
        )
    except EmailNotSent:
        messages.error(
            request,
            _(
                "The invitation to %(email)s is saved, but the email could not be sent; try “Send again” later."
            )
            % {"email": invitation.email},
        )
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})


@require_POST
@tenant_view(Role.ADMIN)
def member_invite(request: TenantRequest) -> HttpResponse:
    """Invite an address with a role; the same answer whoever the address belongs to."""
    form = InviteForm(request.POST, actor_role=request.role)
    if form.is_valid():
        try:
            invitation, token = invite(
                request.tenant,
                request.user,
                request.role,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
            )
        except MemberChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            _send_invitation(request, invitation, token)
            return redirect("members", tenant_slug=request.tenant.slug)
    return render(request, "accounts/members.html", _members_context(request, invite_form=form), status=400)


def _invitation_or_404(request: TenantRequest, invitation_id: int) -> Invitation:
    return get_object_or_404(Invitation, pk=invitation_id, tenant=request.tenant)


@require_POST
@tenant_view(Role.ADMIN)
def invitation_resend(request: TenantRequest, invitation_id: int) -> HttpResponse:
    invitation = _invitation_or_404(request, invitation_id)
    try:
        token = resend_invitation(request.tenant, request.user, request.role, invitation)
    except MemberChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        _send_invitation(request, invitation, token)
    return redirect("members", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def invitation_revoke(request: TenantRequest, invitation_id: int) -> HttpResponse:
    invitation = _invitation_or_404(request, invitation_id)
    try:
        revoke_invitation(request.tenant, request.user, request.role, invitation)
    except MemberChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email})
    return redirect("members", tenant_slug=request.tenant.slug)


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
            events = events.filter(action__startswith=f"{data['action']}.")
        if data["object"]:
            object_type, object_id = data["object"].split(":", 1)
            events = events.filter(object_type=object_type, object_id=object_id)
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
    events = audit.readable(page.items, request.tenant.slug)
    context = {
        "section": "audit",
        "form": form,
        "page": page,
        "events": events,
        "audit_rows": audit.table_rows(
            events, reverse("audit-log", kwargs={"tenant_slug": request.tenant.slug})
        ),
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


RECOVERY_CODE_COUNT, RECOVERY_CODE_LENGTH = 10, 8


def _new_recovery_codes(user) -> list[str]:
    """Ten new single-use codes for logging in without the authenticator; earlier codes stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, defaults={"name": "recovery codes"})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _recovery_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Shown once, in this answer only; the page must not be kept in any cache.
    response = render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _safe_next(request)})
    add_never_cache_headers(response)
    return response


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
                StaticDevice.objects.filter(user=request.user).delete()
                messages.success(request, _("Two-factor login turned off."))
                return redirect("two-factor")
            form.add_error("token", _("That code is not right (or has expired). Try the current one."))
        codes_left = StaticToken.objects.filter(device__user=request.user).count()
        context = {"enabled": True, "form": form, "codes_left": codes_left}
        return render(request, "accounts/two_factor.html", context)

    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor login is on. Each login will ask for a code."))
            return _recovery_codes_page(request, _new_recovery_codes(request.user))
        form.add_error("token", _("That code is not right (or has expired). Try the current one."))
    context = {
        "enabled": False,
        "form": form,
        "qr_code": _qr_code_data_uri(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _safe_next(request),
    }
    return render(request, "accounts/two_factor.html", context)


@require_POST
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, replacing the old ones (only with two-factor login on, from a verified login)."""
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        messages.error(request, _("Turn on two-factor login first."))
        return redirect("two-factor")
    return _recovery_codes_page(request, _new_recovery_codes(request.user))


def _audit_recovery_code(request: HttpRequest, codes_left: int) -> None:
    """A recovery code used to log in is recorded in each tenant of the user, and the user is warned."""
    for membership in request.user.memberships.select_related("tenant"):
        audit.record(
            membership.tenant,
            request.user,
            "login.recovery-code",
            object_type="user",
            object_id=str(request.user.pk),
            object_label=request.user.get_username(),
            changes={"recovery codes left": (codes_left + 1, codes_left)},
        )
    with contextlib.suppress(EmailNotSent):  # logged by the sender; the login itself goes on
        send_recovery_code_warning(request, request.user, codes_left)


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login: a code from the authenticator, or one of the recovery codes."""
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        # Each kind of code is checked by its own device, so a recovery code does not count as a wrong
        # authenticator code (that would slow the app's next code down by django-otp's throttling).
        devices = StaticDevice if len(token) == RECOVERY_CODE_LENGTH else TOTPDevice
        device = next(
            (d for d in devices.objects.filter(user=request.user, confirmed=True) if d.verify_token(token)),
            None,
        )
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                codes_left = device.token_set.count()
                _audit_recovery_code(request, codes_left)
                messages.warning(
                    request,
                    ngettext(
                        "You logged in with a recovery code; %(count)s code is left.",
                        "You logged in with a recovery code; %(count)s codes are left.",
                        codes_left,
                    )
                    % {"count": codes_left},
                )
            return redirect(_safe_next(request))
        form.add_error("token", _("That code is not right (or has expired). Try the current one."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation's link: the invitee creates an account, or logs in and accepts; then they are a member."""
    found = pending_invitation(token)
    if found is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                accept_invitation(found, request.user)
            except MemberChangeRefused as refusal:
                messages.error(request, str(refusal))
                return redirect("home")
            messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": found.tenant.name})
            return redirect("tenant-home", tenant_slug=found.tenant.slug)
        return render(request, "accounts/invitation.html", {"invitation": found})
    form = SignUpForm(request.POST or None, email=found.email)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=form.cleaned_data["username"],
                    email=found.email,
                    password=form.cleaned_data["password1"],
                )
                accept_invitation(found, user)
        except IntegrityError:  # the same username taken a moment ago
            form.add_error("username", _("This username cannot be used; choose another."))
        except MemberChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": found.tenant.name})
            return redirect("tenant-home", tenant_slug=found.tenant.slug)
    status = 400 if form.is_bound else 200
    return render(request, "accounts/invitation.html", {"invitation": found, "form": form}, status=status)


class OwnPasswordMixin:
    """Once the user has set a password of their own, none set by someone else is demanded any more."""

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.user.must_change_password:
            form.user.must_change_password = False
            form.user.save(update_fields=["must_change_password"])
        return response


class PasswordChangeView(OwnPasswordMixin, auth_views.PasswordChangeView):
    """Django's own password change."""


def _over_limit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one more use of `key` in the cache; true once more than `limit` fell in the window.

    The default cache is each process's memory: with several web processes each counts on its own.
    """
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr: this is the first use of a new window
        cache.add(key, 1, window_seconds)
        return False


class PasswordResetView(auth_views.PasswordResetView):
    """Django's own, throttled per address and per client address; beyond the limits no email is sent.

    The answer is the same page whether the address is known, unknown or throttled.
    """

    EMAILS_PER_ADDRESS, REQUESTS_PER_CLIENT, WINDOW_SECONDS = 3, 10, 3600

    def form_valid(self, form):
        address = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()
        client = self.request.META.get("REMOTE_ADDR", "")
        if _over_limit(f"password-reset:client:{client}", self.REQUESTS_PER_CLIENT, self.WINDOW_SECONDS) or (
            _over_limit(f"password-reset:address:{address}", self.EMAILS_PER_ADDRESS, self.WINDOW_SECONDS)
        ):
            return redirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(OwnPasswordMixin, auth_views.PasswordResetConfirmView):
    """Django's own: the new password from a reset link."""
