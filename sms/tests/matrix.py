"""Objects the role-matrix test needs for the SerwerSMS.pl URLs that take an id (a fresh one per call)."""

from django.db.models import Max

from accounts.models import Tenant
from sms.models import Subaccount, SubaccountCreation


def a_subaccount(tenant: Tenant) -> dict[str, int]:
    highest = Subaccount.objects.aggregate(highest=Max("provider_id"))["highest"] or 9000
    subaccount = Subaccount.objects.create(
        tenant=tenant, provider_id=highest + 1, login=f"matrix{highest + 1}"
    )
    return {"subaccount_id": subaccount.pk}


def a_creation(tenant: Tenant) -> dict[str, int]:
    creation = SubaccountCreation.objects.create(
        tenant=tenant, status=SubaccountCreation.Status.REFUSED, login="matrix", error="refused"
    )
    return {"creation_id": creation.pk}


OBJECTS = {
    "sms:subaccount": a_subaccount,
    "sms:subaccount-limit": a_subaccount,
    "sms:subaccount-delete": a_subaccount,
    "sms:creation": a_creation,
}
