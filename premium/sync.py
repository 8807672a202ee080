"""Turning the provider's answers into rows: idempotent upserts in batches that write only what changed.

Each `sync_*` function takes the account and the resource name, calls the provider, then writes in one
transaction, so that a failed call or a broken answer leaves the old copy as it was.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from premium import client as api
from premium import totals
from premium.models import Call, Invoice, PremiumAccount, PremiumNumber, WalletEntry
from provider_api.parsing import WARSAW

SYNC_KEY = "premium"  # this app's key in SyncStatus rows and the sync registry (accounts.sync)
BATCH_SIZE = 1000  # rows per SELECT ... IN and per bulk INSERT: well under every database's parameter limit
BILLING_RESOURCE = re.compile(r"billing-(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")
CALL_FIELDS = (
    "number",
    "caller",
    "redirected_to",
    "started_at",
    "answered_at",
    "ended_at",
    "duration",
    "billed_seconds",
    "disposition",
    "redirect_cost",
)
STARTED_AT = CALL_FIELDS.index("started_at")
CENT = Decimal("0.01")
T = TypeVar("T")


@dataclass(frozen=True)
class Saved:
    """What an upsert did."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _cut(text: str, field: str, model: type) -> str:
    """Provider text fitted to the column: a longer value must not fail the whole sync."""
    return text[: model._meta.get_field(field).max_length]


# --- Billing months ------------------------------------------------------------------------------


def billing_resource(year: int, month: int) -> str:
    return f"billing-{year:04d}-{month:02d}"


def current_month() -> tuple[int, int]:
    """The provider's current month: its billing months are Europe/Warsaw months."""
    now = timezone.now().astimezone(WARSAW)
    return now.year, now.month


def parse_billing_resource(resource: str) -> tuple[int, int]:
    """ "billing-2025-06" -> (2025, 6); ValueError for anything else, or a month in the future."""
    match = BILLING_RESOURCE.fullmatch(resource)
    if match is None:
        raise ValueError(f"not a billing month: {resource!r}")
    year, month = int(match["year"]), int(match["month"])
    if not (1 <= month <= 12 and year >= 2000) or (year, month) > current_month():
        raise ValueError(f"not a billing month: {resource!r}")
    return year, month


# --- Numbers -------------------------------------------------------------------------------------


def sync_numbers(account: PremiumAccount, resource: str = "numbers") -> Saved:
    return save_numbers(account.tenant_id, account.client(in_request=False).show_numbers())


@transaction.atomic
def save_numbers(tenant_id: int, numbers: Sequence[api.PremiumNumber]) -> Saved:
    """Mirror the account's numbers: add new ones, update changed ones, drop those no longer listed."""
    existing = {row.number: row for row in PremiumNumber.objects.filter(tenant_id=tenant_id)}
    listed: dict[str, api.PremiumNumber] = {n.premium: n for n in numbers}
    now = timezone.now()
    created: list[PremiumNumber] = []
    changed: list[PremiumNumber] = []
    repriced: list[str] = []  # numbers whose tariff or price changed
    for premium, item in listed.items():
        values = {
            "tariff": item.tariff,
            "price_net": _cents(item.netto),
            "vat_percent": _cents(item.tax),
            "redirect_setting": _cut(item.appdata, "redirect_setting", PremiumNumber),
            "redirect_to": _cut(item.redirect_to or "", "redirect_to", PremiumNumber),
        }
        row = existing.get(premium)
        if row is None:
            number = _cut(premium, "number", PremiumNumber)
            created.append(PremiumNumber(tenant_id=tenant_id, number=number, synced_at=now, **values))
            continue
        if any(getattr(row, field) != value for field, value in values.items()):
            if (row.tariff, row.price_net) != (values["tariff"], values["price_net"]):
                repriced.append(row.number)
            if row.redirect_to != values["redirect_to"]:
                # Changed outside the dashboard: what we knew of its presentation and announcement is stale.
                row.presentation, row.announcement = "", None
            for field, value in values.items():
                setattr(row, field, value)
            changed.append(row)
    PremiumNumber.objects.bulk_create(created, batch_size=BATCH_SIZE)
    fields = ["tariff", "price_net", "vat_percent", "redirect_setting", "redirect_to", "presentation"]
    PremiumNumber.objects.bulk_update(changed, [*fields, "announcement"], batch_size=BATCH_SIZE)
    gone = {number: row.pk for number, row in existing.items() if number not in listed}
    deleted = PremiumNumber.objects.filter(pk__in=list(gone.values())).delete()[0] if gone else 0
    # What callers paid per day follows each number's price and tariff as they are now (a number's calls
    # may be kept from before it was added, or after it was dropped).
    repriced += [row.number for row in created]
    if repriced or gone:
        totals.reprice(tenant_id, [*repriced, *gone])
    # One UPDATE records that the sync saw every listed number now.
    PremiumNumber.objects.filter(tenant_id=tenant_id).update(synced_at=now)
    return Saved(
        created=len(created),
        updated=len(changed),
        deleted=deleted,
        unchanged=len(listed) - len(created) - len(changed),
    )


# --- Balance -------------------------------------------------------------------------------------


def sync_balance(account: PremiumAccount, resource: str = "balance") -> Saved:
    balance = account.client(in_request=False).balance()
    return save_balance(account, balance)


def save_balance(account: PremiumAccount, balance: api.Balance) -> Saved:
    PremiumAccount.objects.filter(pk=account.pk).update(
        balance_net=_cents(balance.netto),
        balance_vat_percent=_cents(balance.tax),
        balance_gross=_cents(balance.brutto),
        balance_read_at=timezone.now(),
    )
    return Saved(updated=1)


# --- Billing -------------------------------------------------------------------------------------


def sync_billing(account: PremiumAccount, resource: str) -> Saved:
    year, month = parse_billing_resource(resource)
    return save_calls(account.tenant_id, account.client(in_request=False).billing(month=month, year=year))


def number_calls(account: PremiumAccount, number: str, year: int, month: int) -> list[api.Call]:
    """One number's calls in a month, read while the operator waits (a number's page): one short attempt.

    Raises client.NumberNotOnAccount when the provider no longer has the number on the account.
    """
    return account.client(in_request=True).number_billing(number, month=month, year=year)


def _utc(moment: datetime | None) -> datetime | None:
    # Python never finds a local time in the repeated autumn hour equal to a UTC time, so the values
    # read back from the database would always look changed: compare (and store) in UTC.
    return None if moment is None else moment.astimezone(UTC)


def _call_values(call: api.Call) -> tuple:
    return (
        _cut(call.dst, "number", Call),
        _cut(call.src, "caller", Call),
        _cut(call.to_dst, "redirected_to", Call),
        _utc(call.start),
        _utc(call.answer),
        _utc(call.end),
        call.duration,
        call.billsec,
        _cut(call.disposition, "disposition", Call),
        call.billcost,
    )


@transaction.atomic
def save_calls(tenant_id: int, calls: Iterable[api.Call]) -> Saved:
    """Upsert billing rows by the provider's call id, writing only new and changed rows.

    Rows the provider no longer lists are kept: a call that happened stays in the history even after
    its number left the account. The totals of every month whose calls changed are then rebuilt.
    """
    unique = {call.id: call for call in calls}  # a row listed twice is stored once
    if connection.vendor == "postgresql":
        saved, months = _upsert_calls_by_copy(tenant_id, unique)
    else:
        saved, months = _upsert_calls_in_batches(tenant_id, unique)
    if months:
        totals.rebuild(tenant_id, months)
    return saved


def _upsert_calls_in_batches(tenant_id: int, unique: dict[int, api.Call]) -> tuple[Saved, set]:
    """Per batch: one SELECT of the rows already stored, one bulk INSERT, a bulk UPDATE of changed ones."""
    created = updated = unchanged = 0
    months: set[tuple[int, int]] = set()
    for batch in chunks(unique.values(), BATCH_SIZE):
        stored = {
            row[0]: (row[1], row[2:])
            for row in Call.objects.filter(tenant_id=tenant_id, call_id__in=[c.id for c in batch])
            .order_by()
            .values_list("call_id", "id", *CALL_FIELDS)
        }
        new_rows: list[Call] = []
        changed_rows: list[Call] = []
        for call in batch:
            values = _call_values(call)
            found = stored.get(call.id)
            if found is None:
                new_rows.append(
                    Call(tenant_id=tenant_id, call_id=call.id, **dict(zip(CALL_FIELDS, values, strict=True)))
                )
            elif found[1] != values:
                changed_rows.append(Call(id=found[0], **dict(zip(CALL_FIELDS, values, strict=True))))
                months.add(totals.month_of(found[1][STARTED_AT]))
            else:
                continue
            months.add(totals.month_of(values[STARTED_AT]))
        Call.objects.bulk_create(new_rows, batch_size=BATCH_SIZE)
        if changed_rows:
            Call.objects.bulk_update(changed_rows, CALL_FIELDS, batch_size=250)
        created += len(new_rows)
        updated += len(changed_rows)
        unchanged += len(batch) - len(new_rows) - len(changed_rows)
    return Saved(created=created, updated=updated, unchanged=unchanged), months


# PostgreSQL: the rows are COPYed into a temporary table; one query counts the new and the changed ones,
# then (only if there are any) one UPDATE writes the changed rows and one INSERT the new ones, each
# returning the provider months it touched (for an update also the month the call was in before).
# The columns are CALL_FIELDS, written out (a test checks that they agree).
_INCOMING_SQL = (
    "CREATE TEMPORARY TABLE premium_call_incoming ON COMMIT DROP AS "
    "SELECT call_id, number, caller, redirected_to, started_at, answered_at, ended_at, duration, billed_seconds, "
    "disposition, redirect_cost FROM premium_call WITH NO DATA"
)
_COUNT_SQL = """
SELECT count(*) FILTER (WHERE stored.id IS NULL),
       count(*) FILTER (
           WHERE stored.id IS NOT NULL
           AND (stored.number, stored.caller, stored.redirected_to, stored.started_at, stored.answered_at,
                stored.ended_at, stored.duration, stored.billed_seconds, stored.disposition, stored.redirect_cost)
               IS DISTINCT FROM
               (incoming.number, incoming.caller, incoming.redirected_to, incoming.started_at,
                incoming.answered_at, incoming.ended_at, incoming.duration, incoming.billed_seconds,
                incoming.disposition, incoming.redirect_cost)
       )
FROM premium_call_incoming AS incoming
LEFT JOIN premium_call AS stored ON stored.tenant_id = %(tenant)s AND stored.call_id = incoming.call_id
"""
_UPDATE_SQL = """
UPDATE premium_call AS target
SET number = incoming.number, caller = incoming.caller, redirected_to = incoming.redirected_to,
    started_at = incoming.started_at, answered_at = incoming.answered_at, ended_at = incoming.ended_at,
    duration = incoming.duration, billed_seconds = incoming.billed_seconds,
    disposition = incoming.disposition, redirect_cost = incoming.redirect_cost
FROM premium_call_incoming AS incoming
JOIN premium_call AS stored ON stored.tenant_id = %(tenant)s AND stored.call_id = incoming.call_id
WHERE target.id = stored.id
  AND (stored.number, stored.caller, stored.redirected_to, stored.started_at, stored.answered_at,
       stored.ended_at, stored.duration, stored.billed_seconds, stored.disposition, stored.redirect_cost)
      IS DISTINCT FROM
      (incoming.number, incoming.caller, incoming.redirected_to, incoming.started_at, incoming.answered_at,
       incoming.ended_at, incoming.duration, incoming.billed_seconds, incoming.disposition, incoming.redirect_cost)
RETURNING to_char(stored.started_at AT TIME ZONE 'Europe/Warsaw', 'YYYY-MM'),
          to_char(target.started_at AT TIME ZONE 'Europe/Warsaw', 'YYYY-MM')
"""
_INSERT_SQL = """
INSERT INTO premium_call (tenant_id, call_id, number, caller, redirected_to, started_at, answered_at, ended_at,
                          duration, billed_seconds, disposition, redirect_cost)
SELECT %(tenant)s, call_id, number, caller, redirected_to, started_at, answered_at, ended_at,
       duration, billed_seconds, disposition, redirect_cost
FROM premium_call_incoming AS incoming
WHERE NOT EXISTS (
    SELECT FROM premium_call AS stored WHERE stored.tenant_id = %(tenant)s AND stored.call_id = incoming.call_id
)
ON CONFLICT (tenant_id, call_id) DO NOTHING
RETURNING to_char(started_at AT TIME ZONE 'Europe/Warsaw', 'YYYY-MM')
"""


_COPY_SQL = (
    "COPY premium_call (tenant_id, call_id, number, caller, redirected_to, started_at, answered_at, ended_at, "
    "duration, billed_seconds, disposition, redirect_cost) FROM STDIN (FORMAT BINARY)"
)
# The binary format (half the time of text for 100,000 rows) needs each column's exact type: those of
# call_id and the CALL_FIELDS, in order.
_COPY_TYPES = ("int8", *["varchar"] * 3, *["timestamptz"] * 3, "int4", "int4", "varchar", "numeric")
_TEXT_LIMITS = {name: Call._meta.get_field(name).max_length for name in ("number", "caller", "redirected_to")}


def _copy_row(call: api.Call) -> tuple:
    """A call as COPY takes it: PostgreSQL compares times as instants, so no conversion to UTC is needed."""
    return (
        call.id,
        call.dst[: _TEXT_LIMITS["number"]],
        call.src[: _TEXT_LIMITS["caller"]],
        call.to_dst[: _TEXT_LIMITS["redirected_to"]],
        call.start,
        call.answer,
        call.end,
        call.duration,
        call.billsec,
        _cut(call.disposition, "disposition", Call),
        call.billcost,
    )


def _upsert_calls_by_copy(tenant_id: int, unique: dict[int, api.Call]) -> tuple[Saved, set]:
    if not unique:
        return Saved(), set()
    with connection.cursor() as cursor:
        # The commit need not wait for the disk: after a crash the transaction is lost whole (the calls
        # with their sync's success), never half, and the next sync fetches the calls again.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Is any call stored in the time the incoming calls span? One probe of the (tenant, started_at)
        # index, where looking their ids up took a third of a second for 100,000 calls.
        starts = [call.start for call in unique.values()]
        cursor.execute(
            "SELECT EXISTS (SELECT FROM premium_call WHERE tenant_id = %s AND started_at BETWEEN %s AND %s)",
            [tenant_id, min(starts), max(starts)],
        )
        if not cursor.fetchone()[0]:
            # None is stored there (a month's first import): straight into the table. A call stored with another start
            # time, or meanwhile by another sync, makes the COPY fail; the general way below handles it.
            try:
                with transaction.atomic(), cursor.copy(_COPY_SQL) as copy:
                    copy.set_types(["int8", *_COPY_TYPES])
                    for call in unique.values():
                        copy.write_row((tenant_id, *_copy_row(call)))
            except psycopg.errors.UniqueViolation:
                pass
            else:
                months = {totals.month_of(call.start) for call in unique.values()}
                return Saved(created=len(unique)), months
    return _upsert_calls_through_a_temporary_table(tenant_id, unique)


def _upsert_calls_through_a_temporary_table(tenant_id: int, unique: dict[int, api.Call]) -> tuple[Saved, set]:
    touched: set[str] = set()
    created = updated = 0
    with connection.cursor() as cursor:
        # Dropped at commit; dropped first too, for a caller that saves twice in one transaction.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.premium_call_incoming")
        cursor.execute(_INCOMING_SQL)
        with cursor.copy("COPY premium_call_incoming FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(_COPY_TYPES))
            for call in unique.values():
                copy.write_row(_copy_row(call))
        cursor.execute(_COUNT_SQL, {"tenant": tenant_id})
        new, changed = cursor.fetchone()
        if changed:
            cursor.execute(_UPDATE_SQL, {"tenant": tenant_id})
            rows = cursor.fetchall()
            updated = len(rows)
            touched.update(month for row in rows for month in row)
        if new:
            cursor.execute(_INSERT_SQL, {"tenant": tenant_id})
            rows = cursor.fetchall()
            created = len(rows)
            touched.update(month for (month,) in rows)
    months = {(int(text[:4]), int(text[5:])) for text in touched}
    return Saved(created=created, updated=updated, unchanged=len(unique) - created - updated), months


# --- Wallet history ------------------------------------------------------------------------------


def sync_wallet(account: PremiumAccount, resource: str = "wallet") -> Saved:
    """The wallet's history and its balance: the wallet page shows both under one sync line."""
    client = account.client(in_request=False)
    balance, entries = client.balance(), client.history_wallet()
    save_balance(account, balance)
    return save_wallet(account.tenant_id, entries)


def wallet_fingerprint(entry: api.WalletEntry) -> str:
    """The provider gives wallet operations no id: all their fields together identify one."""
    key = "|".join(
        (
            entry.created_at.isoformat(),
            str(_cents(entry.cost)),
            str(_cents(entry.balance)),
            "1" if entry.credit else "0",
            entry.description,
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def save_wallet(tenant_id: int, entries: Sequence[api.WalletEntry]) -> Saved:
    """Add the operations not stored yet; older ones stay (the provider lists only its last 50)."""
    by_fingerprint = {wallet_fingerprint(e): e for e in entries}
    stored = set(
        WalletEntry.objects.filter(tenant_id=tenant_id, fingerprint__in=list(by_fingerprint)).values_list(
            "fingerprint", flat=True
        )
    )
    new_rows = [
        WalletEntry(
            tenant_id=tenant_id,
            fingerprint=fingerprint,
            created_at=entry.created_at,
            description=_cut(entry.description, "description", WalletEntry),
            credit=entry.credit,
            amount=_cents(entry.cost),
            balance_after=_cents(entry.balance),
        )
        for fingerprint, entry in by_fingerprint.items()
        if fingerprint not in stored
    ]
    WalletEntry.objects.bulk_create(new_rows, batch_size=BATCH_SIZE)
    return Saved(created=len(new_rows), unchanged=len(stored))


# --- Invoices ------------------------------------------------------------------------------------


def sync_invoices(account: PremiumAccount, resource: str = "invoices") -> Saved:
    return save_invoices(account.tenant_id, account.client(in_request=False).invoices())


@transaction.atomic
def save_invoices(tenant_id: int, invoices: Sequence[api.Invoice]) -> Saved:
    """Add new invoices and update changed ones (e.g. now paid); a stored file is never touched."""
    listed = {invoice.id: invoice for invoice in invoices}
    stored = {
        row.provider_id: row for row in Invoice.objects.filter(tenant_id=tenant_id, provider_id__in=listed)
    }
    new_rows: list[Invoice] = []
    changed: list[Invoice] = []
    fields = ("title", "amount_net", "paid", "issued_at")
    for provider_id, invoice in listed.items():
        values = {
            "title": _cut(invoice.title, "title", Invoice),
            "amount_net": _cents(invoice.netto),
            "paid": invoice.paid,
            "issued_at": invoice.created_at,
        }
        row = stored.get(provider_id)
        if row is None:
            new_rows.append(Invoice(tenant_id=tenant_id, provider_id=provider_id, **values))
        elif any(getattr(row, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(row, field, value)
            changed.append(row)
    Invoice.objects.bulk_create(new_rows, batch_size=BATCH_SIZE)
    Invoice.objects.bulk_update(changed, fields, batch_size=BATCH_SIZE)
    return Saved(
        created=len(new_rows), updated=len(changed), unchanged=len(listed) - len(new_rows) - len(changed)
    )


SYNCS = {
    "numbers": sync_numbers,
    "balance": sync_balance,
    "billing": sync_billing,
    "wallet": sync_wallet,
    "invoices": sync_invoices,
}
