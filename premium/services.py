"""The dashboard's writes at the provider: redirects, purchases, deletions, invoice files.

Each calls the provider first and only on success changes the local copy and writes an audit event;
a ProviderError reaches the caller with nothing changed locally (the view explains it).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, Tenant, User
from accounts.sync import queue_sync
from premium.client import Prezentacja
from premium.models import PROVIDER, Invoice, PremiumAccount, PremiumNumber, WalletEntry
from premium.sync import CENT
from provider_api.errors import InvalidInputError, ProviderError, UnavailableError

# How the wallet history describes a purchase ("Zakup numeru 708… (taryfa 5)" in the sandbox; unverified for
# the real provider): without a match the buy page says the price is not known here.
NUMBER_PURCHASE_WORDS = "zakup numeru"
NO_FUNDS_WORDS = ("środków", "srodkow", "funds")


def record_failure(
    tenant: Tenant,
    user: User,
    action: str,
    error: ProviderError,
    *,
    target: PremiumNumber | None = None,
    **kw,
) -> None:
    audit.record(
        tenant,
        user,
        action,
        target=target,
        outcome=AuditEvent.Outcome.FAILURE,
        message=error.describe(),
        **kw,
    )


def is_no_funds(error: ProviderError) -> bool:
    """addNumber's 422 "Brak wystarczających środków na koncie…": the wallet is too low."""
    words = f"{error.provider_message} {error.detail}".lower()
    return isinstance(error, InvalidInputError) and any(w in words for w in NO_FUNDS_WORDS)


# --- Redirects -----------------------------------------------------------------------------------


def set_redirect(
    account: PremiumAccount,
    user: User,
    number: PremiumNumber,
    target: str,
    presentation: str,
    announcement: bool,
) -> str:
    """Point `number` at `target` (9 digits, already normalised); returns the provider's confirmation."""
    try:
        confirmation = account.client(in_request=True).set_redirect(
            number.number, target, prezentacja=Prezentacja(presentation), zapowiedz=announcement
        )
    except ProviderError as error:
        record_failure(account.tenant, user, "premium.redirect.set", error, target=number)
        raise
    before = {
        "redirect": number.redirect_to or None,
        "presentation": number.presentation or None,
        "announcement": number.announcement,
    }
    number.redirect_to = target
    number.redirect_setting = f"number={target}"
    number.presentation = presentation
    number.announcement = announcement
    after = {"redirect": target, "presentation": presentation, "announcement": announcement}
    with transaction.atomic():
        number.save(update_fields=["redirect_to", "redirect_setting", "presentation", "announcement"])
        audit.record(
            account.tenant,
            user,
            "premium.redirect.set",
            target=number,
            changes={key: (before[key], after[key]) for key in after if before[key] != after[key]},
            message=confirmation,
        )
    return confirmation


# --- Buying and deleting numbers -----------------------------------------------------------------


@dataclass(frozen=True)
class PurchasePrice:
    amount: Decimal  # zł, as the wallet history recorded it
    when: datetime


def last_purchase_price(tenant: Tenant) -> PurchasePrice | None:
    """What the last number purchase took from the wallet; addNumber itself does not say the price."""
    entry = (
        WalletEntry.objects.filter(tenant=tenant, credit=False, description__icontains=NUMBER_PURCHASE_WORDS)
        .order_by("-created_at", "-id")
        .first()
    )
    return None if entry is None else PurchasePrice(entry.amount, entry.created_at)


def tariff_prices(tenant: Tenant) -> dict[int, tuple[Decimal, Decimal]]:
    """Tariff -> (net price, VAT %) as the provider lists them for the account's numbers."""
    prices: dict[int, tuple[Decimal, Decimal]] = {}
    rows = PremiumNumber.objects.filter(tenant=tenant, price_net__isnull=False, vat_percent__isnull=False)
    for tariff, net, vat in rows.order_by("tariff").values_list("tariff", "price_net", "vat_percent"):
        prices.setdefault(tariff, (net, vat))
    return prices


def buy_number(account: PremiumAccount, user: User, tariff: int) -> tuple[PremiumNumber, Decimal]:
    """Buy a number in `tariff`: sent once, never retried (it costs money).

    Returns the new number and the wallet's net balance (zł) after the purchase.
    """
    tenant = account.tenant
    try:
        bought = account.client(in_request=True).add_number(tariff)
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        record_failure(
            tenant,
            user,
            "premium.number.buy",
            error,
            object_type="premium.premiumnumber",
            object_label=f"tariff {tariff}" + (" (outcome unknown)" if unknown else ""),
        )
        if unknown:
            # The provider may have bought it: the next sync shows the truth on the list and in the wallet.
            for resource in ("numbers", "balance", "wallet"):
                queue_sync(tenant, PROVIDER, resource)
        raise
    net, vat = tariff_prices(tenant).get(bought.tariff, (None, None))
    with transaction.atomic():
        number, _ = PremiumNumber.objects.update_or_create(
            tenant=tenant,
            number=bought.number,
            defaults={"tariff": bought.tariff, "price_net": net, "vat_percent": vat},
        )
        vat_rate = account.balance_vat_percent
        PremiumAccount.objects.filter(pk=account.pk).update(
            balance_net=bought.wallet_balance.quantize(CENT),
            balance_gross=None
            if vat_rate is None
            else (bought.wallet_balance * (100 + vat_rate) / 100).quantize(CENT),
            balance_read_at=timezone.now(),
        )
        audit.record(
            tenant,
            user,
            "premium.number.buy",
            target=number,
            changes={"tariff": (None, bought.tariff), "wallet": (None, f"{bought.wallet_balance:.2f} zł")},
        )
        # The purchase's price, the number's prices and the wallet's new history come with the syncs.
        for resource in ("numbers", "balance", "wallet"):
            queue_sync(tenant, PROVIDER, resource)
    return number, bought.wallet_balance


def delete_number(account: PremiumAccount, user: User, number: PremiumNumber) -> None:
    try:
        account.client(in_request=True).delete_number(number.number)
    except ProviderError as error:
        record_failure(account.tenant, user, "premium.number.delete", error, target=number)
        raise
    with transaction.atomic():
        audit.record(
            account.tenant,
            user,
            "premium.number.delete",
            target=number,
            changes={"number": (number.number, None), "redirect": (number.redirect_to or None, None)},
        )
        number.delete()


# --- Invoice files -------------------------------------------------------------------------------


def fetch_invoice_file(account: PremiumAccount, invoice: Invoice) -> Invoice:
    """Download the invoice's file from the provider once and store it; later calls reuse it.

    No lock is held during the download: if two members fetch at once, the first stored file wins and
    the other copy is discarded.
    """
    if invoice.file:
        return invoice
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as buffer:
        answer = account.client(in_request=True).invoice_download(invoice.provider_id, buffer)
        buffer.seek(0)
        storage = Invoice._meta.get_field("file").storage
        name = storage.save(Invoice._meta.get_field("file").generate_filename(invoice, ""), File(buffer))
    stored = Invoice.objects.filter(pk=invoice.pk, file="").update(
        file=name,
        file_name=(answer.filename or f"{invoice.title}.pdf")[:200],
        content_type=answer.content_type[:100],
        downloaded_at=timezone.now(),
    )
    if not stored:
        storage.delete(name)
    invoice.refresh_from_db()
    return invoice
