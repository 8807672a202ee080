"""Objects the role-matrix test needs for the premium URLs that take an id (a fresh one per call)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from django.core.files.base import ContentFile

from accounts.models import Tenant
from premium.models import Invoice, PremiumNumber, Statement

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


def a_ready_statement(tenant: Tenant) -> dict[str, int]:
    statement = Statement.objects.create(tenant=tenant, year=2025, month=6, state=Statement.State.READY)
    statement.file.save("statement.pdf", ContentFile(b"%PDF-1.7"), save=True)
    return {"statement_id": statement.pk}


OBJECTS = {
    "premium:number-row": a_number,
    "premium:number": a_number,
    "premium:number-redirect": a_number,
    "premium:number-delete": a_number,
    "premium:invoice-download": an_invoice,
    "premium:statement-download": a_ready_statement,
}
