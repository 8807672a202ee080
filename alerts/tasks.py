"""Thin tasks of the alerts app: evaluating a tenant's rules, sending one notification, the schedules."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Tenant
from alerts import digest, evaluation, sending
from alerts.models import Delivery


@shared_task
def evaluate_alerts(tenant_id: int) -> None:
    """Look at one tenant's rules against its local copy (after a sync, and on the schedule)."""
    evaluation.evaluate(tenant_id)


@shared_task
def queue_alert_evaluations() -> None:
    """Every 5 minutes: evaluate every tenant's rules (time alone can make a condition hold or end)."""
    for tenant_id in Tenant.objects.filter(alert_rules__enabled=True).distinct().values_list("pk", flat=True):
        evaluate_alerts.delay(tenant_id)


@shared_task
def deliver_notification(delivery_id: int) -> None:
    """Send one email or webhook; a failure is retried with a growing backoff, given up after a day."""
    delivery = Delivery.claim(delivery_id)
    if delivery is None:
        return  # not due, final, or being sent by another worker
    outcome = sending.send(delivery)
    if outcome.delivered:
        delivery.finish(response_code=outcome.response_code)
    elif outcome.final:
        delivery.give_up(outcome.error, response_code=outcome.response_code)
    elif delivery.poll_again(error=outcome.error, response_code=outcome.response_code):
        deliver_notification.apply_async_on_commit((delivery.pk,), eta=delivery.next_poll_at)


@shared_task
def send_weekly_digests() -> None:
    """Monday mornings: the weekly digest email to every member who keeps it on."""
    digest.send_all()
