"""Who is told what: each alert moment and each event becomes one Delivery row per recipient (the chosen
members by email, the tenant's endpoints by webhook), queued once the transaction commits."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from accounts.models import Tenant
from alerts.models import Alert, Delivery, EventType, MemberNotifications, WebhookEndpoint, new_event_id
from providers.queueing import queue_after_commit


def alert_fired(alert: Alert) -> None:
    _alert_moment(alert, EventType.ALERT_FIRED)


def alert_cleared(alert: Alert) -> None:
    _alert_moment(alert, EventType.ALERT_CLEARED)


def figure(value: Decimal | None) -> str | None:
    """A figure as text, exact and without trailing zeros: "40", "12.5", "-3.25"."""
    return None if value is None else format(Decimal(value).normalize(), "f")


def alert_title_in_english(alert: Alert) -> str:
    """Receivers are programs: one fixed language for the title they may show."""
    with translation.override("en"):
        return alert.title


def alert_data(alert: Alert) -> dict[str, object]:
    """The alert as its webhook event's `data`: figures as text, so no precision is lost."""
    return {
        "alert_id": alert.pk,
        "rule": alert.rule.kind,
        "subject": alert.subject,
        "title": alert_title_in_english(alert),
        "about": alert.subject_key,
        "value": figure(alert.value),
        "value_at_fire": figure(alert.value_at_fire),
        "threshold": figure(alert.threshold),
        "message_type": alert.rule.message_type or None,
        "fired_at": alert.fired_at.isoformat() if alert.fired_at else None,
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
    }


def _alert_moment(alert: Alert, event_type: str) -> None:
    data = alert_data(alert)
    rows = [
        Delivery(
            tenant_id=alert.tenant_id,
            channel=Delivery.Channel.EMAIL,
            event_id=new_event_id(),
            event_type=event_type,
            payload=data,
            alert=alert,
            user=setting.user,
            recipient=setting.user.email,
        )
        for setting in emailed_members(alert.tenant_id, alert_emails=True)
    ]
    rows += _webhook_rows(alert.tenant_id, event_type, data, alert=alert)
    _queue(rows)


def publish(tenant: Tenant | int, event_type: str, data: dict[str, object]) -> None:
    """Send an event to every endpoint of the tenant that subscribed to it (SMS delivered, report ready…)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    _queue(_webhook_rows(tenant_id, event_type, data))


def test_event(endpoint: WebhookEndpoint) -> Delivery:
    """A test event to one endpoint ("Send a test event")."""
    data = {
        "message": "This is a test event from the telecom dashboard.",
        "sent_at": timezone.now().isoformat(),
    }
    rows = [_webhook_row(endpoint, EventType.TEST, data)]
    _queue(rows)
    return rows[0]


def resend(delivery: Delivery) -> Delivery:
    """The same notification sent again as a new row (a new id: the receiver sees a new message)."""
    again = Delivery(
        tenant_id=delivery.tenant_id,
        channel=delivery.channel,
        event_id=new_event_id(),
        event_type=delivery.event_type,
        payload=delivery.payload,
        alert_id=delivery.alert_id,
        endpoint_id=delivery.endpoint_id,
        user_id=delivery.user_id,
        recipient=delivery.endpoint.url if delivery.endpoint else delivery.recipient,
    )
    _queue([again])
    return again


def digest_delivery(setting: MemberNotifications, data: dict[str, object]) -> Delivery:
    rows = [
        Delivery(
            tenant_id=setting.tenant_id,
            channel=Delivery.Channel.EMAIL,
            event_id=new_event_id(),
            event_type=EventType.DIGEST,
            payload=data,
            user=setting.user,
            recipient=setting.user.email,
        )
    ]
    _queue(rows)
    return rows[0]


def emailed_members(tenant_id: int, **wanted: bool):
    """The members' settings for emails of one kind; none while email is off (EMAIL_URL unset)."""
    if not settings.EMAIL_ENABLED:
        return MemberNotifications.objects.none()
    return (
        MemberNotifications.objects.filter(
            tenant_id=tenant_id, user__memberships__tenant_id=tenant_id, **wanted
        )
        .exclude(user__email="")
        .select_related("user")
    )


def _webhook_rows(tenant_id: int, event_type: str, data: dict[str, object], *, alert: Alert | None = None):
    endpoints = WebhookEndpoint.objects.filter(tenant_id=tenant_id, enabled=True)
    return [
        _webhook_row(endpoint, event_type, data, alert=alert)
        for endpoint in endpoints
        if endpoint.wants(event_type)
    ]


def _webhook_row(
    endpoint: WebhookEndpoint, event_type: str, data: dict[str, object], *, alert=None
) -> Delivery:
    return Delivery(
        tenant_id=endpoint.tenant_id,
        channel=Delivery.Channel.WEBHOOK,
        event_id=new_event_id(),
        event_type=event_type,
        payload=data,
        alert=alert,
        endpoint=endpoint,
        recipient=endpoint.url,
    )


def _queue(rows: list[Delivery]) -> None:
    from alerts.tasks import deliver_notification

    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            row.start_polling(now)
            row.save()
            queue_after_commit(deliver_notification, row.pk)
