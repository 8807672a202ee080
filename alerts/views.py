"""The tenant's home (the overview), its alerts, the alert rules, the channels (alert emails and webhook
endpoints), the delivery log and each member's own notification settings. HTTP only: the work is in
alerts.overview, alerts.evaluation and alerts.notify."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from accounts.models import Role
from accounts.pagination import keyset_page
from accounts.tenancy import TenantRequest, tenant_view
from alerts import notify, overview
from alerts.forms import EndpointChangeForm, EndpointForm, MyNotificationsForm, RecipientsForm, RuleForm
from alerts.models import Alert, AlertRule, Delivery, MemberNotifications, WebhookEndpoint

PER_PAGE = 50
SUBPAGES = (
    ("alerts", gettext_lazy("Alerts"), "alerts:index", Role.VIEWER),
    ("rules", gettext_lazy("Rules"), "alerts:rules", Role.VIEWER),
    ("channels", gettext_lazy("Channels"), "alerts:channels", Role.ADMIN),
    ("deliveries", gettext_lazy("Delivery log"), "alerts:deliveries", Role.ADMIN),
    ("mine", gettext_lazy("My notifications"), "alerts:mine", Role.VIEWER),
)


def _context(request: TenantRequest, current: str, **extra: object) -> dict[str, object]:
    subnav = [
        {"key": key, "label": label, "url_name": url_name, "current": key == current}
        for key, label, url_name, min_role in SUBPAGES
        if request.role >= min_role
    ]
    return {"section": "alerts", "subnav": subnav, "can_manage": request.role >= Role.ADMIN, **extra}


@require_GET
@tenant_view(Role.VIEWER)
def home(request: TenantRequest) -> HttpResponse:
    """The tenant's state at a glance, from the local copy; every tile links to its page."""
    return render(
        request, "alerts/home.html", {"section": "home", "state": overview.tenant_state(request.tenant)}
    )


@require_GET
@tenant_view(Role.VIEWER)
def alerts(request: TenantRequest) -> HttpResponse:
    """Open alerts, then past ones (newest first), each with its figures and who was told when."""
    told = Prefetch("deliveries", queryset=Delivery.objects.order_by("created_at", "id"))
    fired = Alert.objects.filter(tenant=request.tenant, fired_at__isnull=False).select_related("rule")
    open_alerts = fired.filter(cleared_at__isnull=True).order_by("-fired_at").prefetch_related(told)
    past = keyset_page(
        fired.filter(cleared_at__isnull=False).prefetch_related(told),
        request.GET.get("after"),
        fields=("cleared_at", "id"),
        per_page=PER_PAGE,
    )
    return render(
        request, "alerts/alerts.html", _context(request, "alerts", open_alerts=open_alerts, past=past)
    )


@require_GET
@tenant_view(Role.VIEWER)
def rules(request: TenantRequest) -> HttpResponse:
    rows = AlertRule.objects.filter(tenant=request.tenant)
    forms = [(rule, RuleForm(instance=rule, prefix=f"rule-{rule.pk}")) for rule in rows]
    return render(
        request, "alerts/rules.html", _context(request, "rules", rules=forms, new_form=RuleForm(prefix="new"))
    )


@require_POST
@tenant_view(Role.ADMIN)
def rule_add(request: TenantRequest) -> HttpResponse:
    form = RuleForm(request.POST, prefix="new")
    if not form.is_valid():
        messages.error(request, _("The rule was not added: %(errors)s") % {"errors": _errors(form)})
        return redirect("alerts:rules", tenant_slug=request.tenant.slug)
    with transaction.atomic():
        rule = form.save(commit=False)
        rule.tenant = request.tenant
        rule.save()
        audit.record(request.tenant, request.user, "alert_rule.add", target=rule)
    messages.success(request, _("Rule added."))
    return redirect("alerts:rules", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def rule_edit(request: TenantRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id, tenant=request.tenant)
    before = {"threshold": rule.threshold, "message type": rule.message_type, "on": rule.enabled}
    form = RuleForm(request.POST, instance=rule, prefix=f"rule-{rule.pk}")
    if not form.is_valid():
        messages.error(request, _("The rule was not changed: %(errors)s") % {"errors": _errors(form)})
        return redirect("alerts:rules", tenant_slug=request.tenant.slug)
    with transaction.atomic():
        rule = form.save()
        after = {"threshold": rule.threshold, "message type": rule.message_type, "on": rule.enabled}
        changes = audit.changed(before, after)
        audit.record(request.tenant, request.user, "alert_rule.change", target=rule, changes=changes)
    messages.success(request, _("Rule saved."))
    return redirect("alerts:rules", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def rule_delete(request: TenantRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id, tenant=request.tenant)
    with transaction.atomic():
        audit.record(request.tenant, request.user, "alert_rule.delete", target=rule)
        rule.delete()
    messages.success(request, _("Rule deleted."))
    return redirect("alerts:rules", tenant_slug=request.tenant.slug)


@require_GET
@tenant_view(Role.ADMIN)
def channels(request: TenantRequest) -> HttpResponse:
    return _channels_page(request)


def _channels_page(
    request: TenantRequest, *, endpoint_form=None, new_secret=None, status=200
) -> HttpResponse:
    chosen = MemberNotifications.objects.filter(tenant=request.tenant, alert_emails=True).values_list(
        "user_id", flat=True
    )
    context = _context(
        request,
        "channels",
        endpoints=[
            (endpoint, EndpointChangeForm(instance=endpoint, prefix=f"endpoint-{endpoint.pk}"))
            for endpoint in WebhookEndpoint.objects.filter(tenant=request.tenant)
        ],
        endpoint_form=endpoint_form or EndpointForm(),
        recipients_form=RecipientsForm(tenant=request.tenant, initial={"members": list(chosen)}),
        new_secret=new_secret,
    )
    return render(request, "alerts/channels.html", context, status=status)


@require_POST
@tenant_view(Role.ADMIN)
def recipients(request: TenantRequest) -> HttpResponse:
    form = RecipientsForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        messages.error(request, _("Choose members of this tenant."))
        return redirect("alerts:channels", tenant_slug=request.tenant.slug)
    chosen = {user.pk for user in form.cleaned_data["members"]}
    with transaction.atomic():
        for user in form.fields["members"].queryset:
            setting, _created = MemberNotifications.objects.get_or_create(tenant=request.tenant, user=user)
            if setting.alert_emails != (user.pk in chosen):
                setting.alert_emails = user.pk in chosen
                setting.save(update_fields=["alert_emails"])
        names = sorted(user.get_username() for user in form.cleaned_data["members"])
        audit.record(
            request.tenant,
            request.user,
            "alert_emails.recipients",
            changes={"members": (None, ", ".join(names))},
        )
    messages.success(request, _("Alert email recipients saved."))
    return redirect("alerts:channels", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def endpoint_add(request: TenantRequest) -> HttpResponse:
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _channels_page(request, endpoint_form=form, status=400)
    with transaction.atomic():
        endpoint = form.save(commit=False)
        endpoint.tenant = request.tenant
        endpoint.save()
        audit.record(request.tenant, request.user, "webhook_endpoint.add", target=endpoint)
    # The secret is shown in this answer only: it is never displayed again.
    return _channels_page(request, new_secret=(endpoint, endpoint.secret))


@require_POST
@tenant_view(Role.ADMIN)
def endpoint_edit(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, tenant=request.tenant)
    before = {"description": endpoint.description, "events": endpoint.events, "on": endpoint.enabled}
    form = EndpointChangeForm(request.POST, instance=endpoint, prefix=f"endpoint-{endpoint.pk}")
    if not form.is_valid():
        messages.error(request, _("The endpoint was not changed: %(errors)s") % {"errors": _errors(form)})
        return redirect("alerts:channels", tenant_slug=request.tenant.slug)
    with transaction.atomic():
        endpoint = form.save()
        after = {"description": endpoint.description, "events": endpoint.events, "on": endpoint.enabled}
        changes = audit.changed(before, after)
        audit.record(
            request.tenant, request.user, "webhook_endpoint.change", target=endpoint, changes=changes
        )
    messages.success(request, _("Endpoint saved."))
    return redirect("alerts:channels", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def endpoint_delete(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, tenant=request.tenant)
    with transaction.atomic():
        audit.record(request.tenant, request.user, "webhook_endpoint.delete", target=endpoint)
        endpoint.delete()
    messages.success(request, _("Endpoint deleted."))
    return redirect("alerts:channels", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view(Role.ADMIN)
def endpoint_test(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, tenant=request.tenant)
    if not endpoint.enabled:
        messages.error(request, _("The endpoint is switched off: switch it on to send it a test event."))
        return redirect("alerts:channels", tenant_slug=request.tenant.slug)
    with transaction.atomic():
        notify.test_event(endpoint)
        audit.record(request.tenant, request.user, "webhook_endpoint.test", target=endpoint)
    messages.success(request, _("Test event queued: see the delivery log."))
    return redirect("alerts:deliveries", tenant_slug=request.tenant.slug)


@require_GET
@tenant_view(Role.ADMIN)
def deliveries(request: TenantRequest) -> HttpResponse:
    rows = Delivery.objects.filter(tenant=request.tenant)
    page = keyset_page(rows, request.GET.get("after"), fields=("created_at", "id"), per_page=PER_PAGE)
    return render(request, "alerts/deliveries.html", _context(request, "deliveries", page=page))


@require_POST
@tenant_view(Role.ADMIN)
def delivery_resend(request: TenantRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(
        Delivery.objects.select_related("endpoint"), pk=delivery_id, tenant=request.tenant
    )
    if delivery.channel == Delivery.Channel.WEBHOOK and delivery.endpoint is None:
        messages.error(request, _("The endpoint was deleted: nothing to resend to."))
        return redirect("alerts:deliveries", tenant_slug=request.tenant.slug)
    if delivery.endpoint is not None and not delivery.endpoint.enabled:
        messages.error(request, _("The endpoint is switched off: switch it on to resend."))
        return redirect("alerts:deliveries", tenant_slug=request.tenant.slug)
    with transaction.atomic():
        again = notify.resend(delivery)
        audit.record(
            request.tenant, request.user, "delivery.resend", target=again, object_label=str(delivery)
        )
    messages.success(request, _("Queued again."))
    return redirect("alerts:deliveries", tenant_slug=request.tenant.slug)


@require_http_methods(["GET", "POST"])
@tenant_view(Role.VIEWER)
def mine(request: TenantRequest) -> HttpResponse:
    """The member's own switch for the weekly digest, and the language of their emails."""
    # Saved only when the member saves the form: a GET writes nothing.
    setting = MemberNotifications.objects.filter(tenant=request.tenant, user=request.user).first() or (
        MemberNotifications(tenant=request.tenant, user=request.user, language=(get_language() or "pl")[:2])
    )
    form = MyNotificationsForm(request.POST if request.method == "POST" else None, instance=setting)
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            form.save()
            audit.record(
                request.tenant,
                request.user,
                "notifications.change",
                target=setting,
                changes={
                    "weekly digest": (None, setting.weekly_digest),
                    "language": (None, setting.language),
                },
            )
        messages.success(request, _("Your notification settings are saved."))
        return redirect("alerts:mine", tenant_slug=request.tenant.slug)
    return render(
        request,
        "alerts/mine.html",
        _context(request, "mine", form=form, alert_emails=setting.alert_emails),
        status=400 if form.is_bound else 200,
    )


def _errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
