"""What a provider app announces to whoever listens (an SMS delivered, a report ready, a redirect changed…):
the alerts app sends each to the tenant's webhook endpoints. The provider apps know nothing of the listeners.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# Sent with tenant_id, event_type (e.g. "sms.delivered") and data (a JSON-safe dict, no secrets).
provider_event = Signal()


def announce(tenant_id: int, event_type: str, **data: object) -> None:
    """Announce an event once the current transaction commits: a change rolled back announces nothing."""
    transaction.on_commit(
        lambda: provider_event.send(sender=None, tenant_id=tenant_id, event_type=event_type, data=data)
    )
