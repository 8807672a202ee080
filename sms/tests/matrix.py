"""Objects the role-matrix test needs for the SerwerSMS.pl URLs that take an id (a fresh one per call)."""

from django.core.files.base import ContentFile
from django.db.models import Max

from accounts.models import Tenant
from sms.models import Payment, Subaccount, SubaccountCreation


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


def a_payment_with_its_invoice(tenant: Tenant) -> dict[str, int]:
    highest = Payment.objects.aggregate(highest=Max("provider_id"))["highest"] or 5000
    payment = Payment.objects.create(tenant=tenant, provider_id=highest + 1, number=f"FV {highest + 1}")
    payment.invoice.save("invoice.pdf", ContentFile(b"%PDF-1.4 matrix"))
    return {"payment_id": payment.pk}


OBJECTS = {
    "sms:invoice": a_payment_with_its_invoice,
    "sms:subaccount": a_subaccount,
    "sms:subaccount-limit": a_subaccount,
    "sms:subaccount-delete": a_subaccount,
    "sms:creation": a_creation,
}
