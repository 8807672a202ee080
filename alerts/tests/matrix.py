"""Objects the role-matrix test needs for the alerts URLs that take an id (a fresh one per call)."""

from decimal import Decimal

from accounts.models import Tenant
from alerts.models import AlertRule, Delivery, EventType, WebhookEndpoint, new_event_id


def a_rule(tenant: Tenant) -> dict[str, int]:
    rule = AlertRule.objects.create(tenant=tenant, kind="spikon_balance_below", threshold=Decimal(5))
    return {"rule_id": rule.pk}


def an_endpoint(tenant: Tenant) -> dict[str, int]:
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url="https://127.0.0.1:9/hooks")
    return {"endpoint_id": endpoint.pk}


def a_delivery(tenant: Tenant) -> dict[str, int]:
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url="https://127.0.0.1:9/hooks")
    delivery = Delivery.objects.create(
        tenant=tenant,
        channel=Delivery.Channel.WEBHOOK,
        event_id=new_event_id(),
        event_type=EventType.TEST,
        endpoint=endpoint,
        recipient=endpoint.url,
        poll_status=Delivery.PollStatus.FAILED,
    )
    return {"delivery_id": delivery.pk}


OBJECTS = {
    "alerts:rule-edit": a_rule,
    "alerts:rule-delete": a_rule,
    "alerts:endpoint-edit": an_endpoint,
    "alerts:endpoint-delete": an_endpoint,
    "alerts:endpoint-test": an_endpoint,
    "alerts:delivery-resend": a_delivery,
}
