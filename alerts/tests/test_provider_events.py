"""Events of the provider apps reach the tenant's endpoints once their change commits, and only then."""

from __future__ import annotations

import pytest
from django.db import transaction

from alerts import tasks
from alerts.models import Delivery
from providers import events
from sms import services as sms_services
from sms.models import Subaccount
from sms.sync import sync_subaccounts


def send_all() -> None:
    for delivery_id in Delivery.objects.values_list("pk", flat=True):
        tasks.deliver_notification(delivery_id)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_announced_only_when_its_change_commits(tenant, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.announce(tenant.pk, "redirect.changed", number="700100200", redirect_to="221234567")
        raise RuntimeError("rolled back")
    assert not Delivery.objects.exists()
    with transaction.atomic():
        events.announce(tenant.pk, "redirect.changed", number="700100200", redirect_to="221234567")
    delivery = Delivery.objects.get()
    assert (delivery.event_type, delivery.payload) == (
        "redirect.changed",
        {"number": "700100200", "redirect_to": "221234567"},
    )


@pytest.mark.django_db(transaction=True)
def test_deleting_a_subaccount_sends_subaccount_deleted(
    tenant, tenant_admin, sms_account, endpoint, receiver
):
    sync_subaccounts(tenant.pk)
    subaccount = Subaccount.objects.get(tenant=tenant, login="wojtek")
    sms_services.delete_subaccount(sms_account, subaccount, tenant_admin)
    send_all()
    assert [(event["type"], event["data"]) for event in receiver.events] == [
        ("subaccount.deleted", {"id": 1194, "login": "wojtek"})
    ]
