from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts import sync
        from accounts.models import Tenant
        from alerts import evaluation
        from alerts.models import Delivery
        from providers.events import provider_event
        from providers.jobs import register_job

        register_job(Delivery, "alerts.tasks.deliver_notification")
        sync.sync_finished.connect(evaluation.after_sync, dispatch_uid="alerts-after-sync")
        post_save.connect(_default_rules, sender=Tenant, dispatch_uid="alerts-default-rules")
        provider_event.connect(_to_webhooks, dispatch_uid="alerts-provider-events")


def _default_rules(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A new tenant starts with sensible alert rules (alerts.evaluation.DEFAULT_RULES)."""
    if created and not raw:
        from alerts.evaluation import create_default_rules

        create_default_rules(instance)


def _to_webhooks(sender, *, tenant_id: int, event_type: str, data: dict, **kwargs) -> None:
    """An SMS delivered, a report ready…: sent to the tenant's endpoints that want it."""
    from alerts.notify import publish

    publish(tenant_id, event_type, data)
