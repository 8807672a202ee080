"""Objects the role-matrix test needs for the premium URLs that take an id (a fresh one per call)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from accounts.models import Tenant
from premium.models import Invoice, PremiumNumber

_serial = count(1)


def a_number(tenant: Tenant) -> dict[str, int]:
    number = PremiumNumber.objects.create(
        tenant=tenant,
        number=f"708{next(_serial):06d}",
        tariff=6,
        price_net=Decimal("3.46"),
        vat_percent=Decimal(23),
    )
    return {"number_id": number.pk}


def an_invoice(tenant: Tenant) -> dict[str, int]:
    invoice = Invoice.objects.create(
        tenant=tenant,
        provider_id=next(_serial),
        title="1/06/2025",
        amount_net=Decimal(40),
        paid=True,
        issued_at=datetime(2025, 6, 30, 21, 0, tzinfo=UTC),
    )
    return {"invoice_id": invoice.pk}


OBJECTS = {
    "premium:number-row": a_number,
    "premium:number-redirect": a_number,
    "premium:number-delete": a_number,
    "premium:invoice-download": an_invoice,
}
