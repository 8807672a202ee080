"""Every request-time call to the provider: redirects, purchases, deletions, invoice files, Test connection.

Each calls the provider once (one short attempt) and only on success changes the local copy and writes an
audit event; a ProviderError reaches the caller with nothing changed locally (the view explains it). What
the provider said is redacted before it is audited or stored.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import Tenant, User
from accounts.sync import queue_sync
from premium import totals
from premium.client import Prezentacja
from premium.models import PRESENTATION_SHORT, Invoice, PremiumAccount, PremiumNumber, WalletEntry
from premium.sync import CENT, SYNC_KEY, save_balance
from provider_api.errors import InvalidInputError, ProviderError, UnavailableError
from providers import accounts as provider_accounts
from providers import events
from providers.accounts import record_failure
from providers.downloads import store_once
from providers.formatting import money
from providers.once import ActionRecord

# How the wallet history describes a purchase ("Zakup numeru 708… (taryfa 5)" in the sandbox; unverified for
# the real provider): without a match the buy page says the price is not known here.
NUMBER_PURCHASE_WORDS = "zakup numeru"
NO_FUNDS_WORDS = ("środków", "srodkow", "funds")


def test_connection(account: PremiumAccount) -> provider_accounts.TestOutcome:
    """Test connection: read the balance with the stored credentials (and keep it) and say what happened."""

    def read(client):
        balance = client.balance()
        save_balance(account, balance)
        return balance

    def describe(balance) -> str:
        return _(
            "The connection works: the provider answered that the wallet holds %(net)s net (%(gross)s gross)."
        ) % {"net": money(balance.netto), "gross": money(balance.brutto)}

    return provider_accounts.test_connection(account, read, describe)


test_connection.__test__ = False  # a page's action, not a test


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
        record_failure(account, user, "premium.redirect.set", error, target=number)
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
            message=account.redact(confirmation),
        )
        events.announce(account.tenant_id, "redirect.changed", number=number.number, redirect_to=target)
    return confirmation


@dataclass(frozen=True)
class RedirectResult:
    """What the bulk redirect did for one number: "done", "failed" (with the provider's words) or
    "not tried" (the provider had stopped answering), and the settings sent."""

    number: str
    outcome: str
    words: str = ""
    presentation: str = ""
    announcement: bool | None = None

    @property
    def settings_label(self) -> str:
        """What was set besides the target, in a few words: "caller's number, with the announcement"."""
        announcement = _("with the announcement") if self.announcement else _("without an announcement")
        return f"{PRESENTATION_SHORT.get(self.presentation, '')}, {announcement}"


def set_redirects(
    account: PremiumAccount,
    user: User,
    numbers: list[PremiumNumber],
    target: str,
    *,
    unknown_presentation: str,
    unknown_announcement: bool,
) -> list[RedirectResult]:
    """Point each number at `target`, keeping the presentation and announcement known for it; where one is
    unknown (the provider does not report them), the operator's choice is sent. After the first "not
    answering" the remaining numbers are not tried: each would wait for the same silent provider."""
    results = []
    stopped = False
    for number in numbers:
        presentation = number.presentation or unknown_presentation
        announcement = unknown_announcement if number.announcement is None else number.announcement
        if stopped:
            results.append(RedirectResult(number.number, "not tried"))
            continue
        try:
            set_redirect(account, user, number, target, presentation, announcement)
        except ProviderError as error:
            results.append(RedirectResult(number.number, "failed", account.explain(error)))
            stopped = isinstance(error, UnavailableError)
        else:
            results.append(RedirectResult(number.number, "done", "", presentation, announcement))
    return results


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


def buy_number(
    account: PremiumAccount, user: User, tariff: int, action: ActionRecord
) -> tuple[PremiumNumber, Decimal]:
    """Buy a number in `tariff` for a confirmation whose `action` was just started: sent once, never
    retried (it costs money). The action record keeps the outcome, for the same confirmation posted again.

    Returns the new number and the wallet's net balance (zł) after the purchase.
    """
    tenant = account.tenant
    try:
        bought = account.client(in_request=True).add_number(tariff)
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        with transaction.atomic():
            record_failure(
                account,
                user,
                "premium.number.buy",
                error,
                object_type="premium.premiumnumber",
                changes={"tariff": (None, tariff), **({"outcome unknown": (None, True)} if unknown else {})},
            )
            action.settle(
                ActionRecord.State.UNKNOWN if unknown else ActionRecord.State.FAILED,
                tariff=tariff,
                message=account.explain_later(error),
            )
            if unknown:
                # The provider may have bought it: the next sync shows the truth on the list and in the wallet.
                for resource in ("numbers", "balance", "wallet"):
                    queue_sync(tenant, SYNC_KEY, resource)
        raise
    net, vat = tariff_prices(tenant).get(bought.tariff, (None, None))
    with transaction.atomic():
        number, _created = PremiumNumber.objects.update_or_create(
            tenant=tenant,
            number=bought.number,
            defaults={"tariff": bought.tariff, "price_net": net, "vat_percent": vat},
        )
        totals.reprice_later(tenant.pk, number.number)  # calls kept from an earlier time it was ours
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
            changes={"tariff": (None, bought.tariff), "wallet": (None, bought.wallet_balance)},
        )
        action.settle(
            ActionRecord.State.DONE,
            tariff=bought.tariff,
            number=bought.number,
            wallet=f"{bought.wallet_balance:.2f}",
        )
        # The purchase's price, the number's prices and the wallet's new history come with the syncs.
        for resource in ("numbers", "balance", "wallet"):
            queue_sync(tenant, SYNC_KEY, resource)
    return number, bought.wallet_balance


def delete_number(account: PremiumAccount, user: User, number: PremiumNumber) -> None:
    try:
        account.client(in_request=True).delete_number(number.number)
    except ProviderError as error:
        record_failure(account, user, "premium.number.delete", error, target=number)
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
        totals.reprice_later(account.tenant_id, number.number)  # its calls are kept; their price is not known


# --- Invoice files -------------------------------------------------------------------------------


def fetch_invoice_file(account: PremiumAccount, invoice: Invoice) -> Invoice:
    """Download the invoice's file from the provider once and store it; later calls reuse it."""
    if invoice.file:
        return invoice
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as buffer:
        answer = account.client(in_request=True).invoice_download(invoice.provider_id, buffer)
        buffer.seek(0)
        return store_once(
            invoice,
            "file",
            File(buffer),
            file_name=(answer.filename or f"{invoice.title}.pdf")[:200],
            content_type=answer.content_type[:100],
            downloaded_at=timezone.now(),
        )
