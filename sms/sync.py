"""The background copies of the SerwerSMS.pl account: the subaccount list (`index` for the list, then `view`
for each one's details), and the account itself (the message pool, payments, delivery statistics, notices).

Everything is read from the provider first and written in one transaction, so a failed sync leaves the
previous copy whole. Details are read for at most DETAILS_PER_SYNC subaccounts per run, those never read
or read longest ago first, by a few parallel requests: a small account is fully refreshed every time, a
very large one over a few runs, and the provider never sees a burst.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import transaction
from django.utils import timezone

from accounts import sync as sync_state
from provider_api.errors import NotFoundError
from sms.client import SubaccountDetails
from sms.models import (
    DeliveryStat,
    Payment,
    PoolEntry,
    ProviderNotice,
    SerwerSmsAccount,
    Subaccount,
    SubaccountCreation,
)

SYNC_KEY = "sms"  # this app's key in SyncStatus rows and the sync registry (accounts.sync)
RESOURCE = "subaccounts"
ACCOUNT_RESOURCE = "account"  # the pool, payments, delivery statistics and notices
DETAILS_PER_SYNC = 200
PARALLEL_VIEWS = 4
BATCH = 500


def queue(tenant, *, scheduled: bool = False) -> bool:
    """Queue the sync of the tenant's subaccount list (once the transaction commits)."""
    return sync_state.queue_sync(tenant, SYNC_KEY, RESOURCE, scheduled=scheduled)


def queue_account(tenant, *, scheduled: bool = False) -> bool:
    """Queue the sync of the tenant's account (pool, payments, statistics, notices)."""
    return sync_state.queue_sync(tenant, SYNC_KEY, ACCOUNT_RESOURCE, scheduled=scheduled)


def sync_account(tenant_id: int) -> None:
    """Refresh the pool, payments, delivery statistics and notices; errors are recorded, not raised."""
    try:
        with sync_state.syncing(tenant_id, SYNC_KEY, ACCOUNT_RESOURCE):
            account = SerwerSmsAccount.objects.filter(tenant_id=tenant_id).first()
            if account is not None and account.is_configured:
                _sync_account(account)
    except sync_state.SyncSkipped:
        return


def _sync_account(account: SerwerSmsAccount) -> None:
    # Everything is read first, then written in one transaction: a failed read keeps the whole old copy.
    client = account.client(in_request=False)
    pool, payments, stats, notices = (
        client.pool(),
        client.payments(),
        client.delivery_stats(),
        client.notices(),
    )
    tenant_id = account.tenant_id
    now = timezone.now()
    with transaction.atomic():
        PoolEntry.objects.filter(tenant_id=tenant_id).exclude(
            message_type__in=[p.type for p in pool]
        ).delete()
        for entry in pool:
            PoolEntry.objects.update_or_create(
                tenant_id=tenant_id,
                message_type=_clip(entry.type, 20),
                defaults={
                    "remaining": entry.remaining,
                    "unlimited": entry.unlimited,
                    "chars_limit": _clip(entry.chars_limit, 20),
                    "synced_at": now,
                },
            )
        # Payments are updated in place, so that an invoice already fetched stays with its payment.
        Payment.objects.filter(tenant_id=tenant_id).exclude(provider_id__in=[p.id for p in payments]).delete()
        for payment in payments:
            Payment.objects.update_or_create(
                tenant_id=tenant_id,
                provider_id=payment.id,
                defaults={
                    "number": _clip(payment.number, 100),
                    "paid": payment.paid,
                    "paid_on": payment.paid_on,
                    "total": payment.total,
                    "due_on": payment.due_on,
                },
            )
        DeliveryStat.objects.filter(tenant_id=tenant_id).delete()
        DeliveryStat.objects.bulk_create(
            [
                DeliveryStat(
                    tenant_id=tenant_id,
                    provider_id=stat.id,
                    name=_clip(stat.name, 200),
                    message_type=_clip(stat.type, 20),
                    delivered=stat.delivered,
                    pending=stat.pending,
                    undelivered=stat.undelivered,
                    unsent=stat.unsent,
                    begin=stat.begin,
                    end=stat.end,
                )
                for stat in stats
            ],
            ignore_conflicts=True,  # a package listed twice is one package
        )
        ProviderNotice.objects.filter(tenant_id=tenant_id).delete()
        ProviderNotice.objects.bulk_create(
            ProviderNotice(tenant_id=tenant_id, position=index, new=notice.new, message=notice.message)
            for index, notice in enumerate(notices)
        )


def sync_subaccounts(tenant_id: int) -> None:
    """Refresh the tenant's subaccounts; provider errors are recorded on the sync status, not raised."""
    try:
        with sync_state.syncing(tenant_id, SYNC_KEY, RESOURCE):
            account = SerwerSmsAccount.objects.filter(tenant_id=tenant_id).first()
            # Entered even without an account, so that a queued sync never looks queued forever.
            if account is not None and account.is_configured:
                _sync(account)
    except sync_state.SyncSkipped:
        return


def _sync(account: SerwerSmsAccount) -> None:
    started_at = timezone.now()
    tenant_id = account.tenant_id
    listed = {item.id: _clip(item.username, 100) for item in account.client(in_request=False).index()}
    existing = {row.provider_id: row for row in Subaccount.objects.filter(tenant_id=tenant_id)}
    never_read = [provider_id for provider_id in listed if provider_id not in existing]
    read_longest_ago = sorted(
        (row for provider_id, row in existing.items() if provider_id in listed),
        key=lambda row: (row.details_synced_at is not None, row.details_synced_at),
    )
    to_read = (never_read + [row.provider_id for row in read_longest_ago])[:DETAILS_PER_SYNC]
    details = _read_details(account, to_read)

    with transaction.atomic():
        gone = [row.pk for provider_id, row in existing.items() if provider_id not in listed]
        for start in range(0, len(gone), BATCH):
            Subaccount.objects.filter(tenant_id=tenant_id, pk__in=gone[start : start + BATCH]).delete()
        created, changed = [], []
        for provider_id, login in listed.items():
            row = existing.get(provider_id) or Subaccount(tenant_id=tenant_id, provider_id=provider_id)
            row.login = login
            found = details.get(provider_id)
            if found is not None:
                row.name = _clip(found.name, 200)
                row.phone = _clip(found.phone, 40)
                row.email = _clip(found.email, 254)
                row.details_synced_at = started_at
            (changed if row.pk else created).append(row)
        # A subaccount created from a page meanwhile may already have its row: keep that one.
        Subaccount.objects.bulk_create(created, batch_size=BATCH, ignore_conflicts=True)
        Subaccount.objects.bulk_update(
            changed, ["login", "name", "phone", "email", "details_synced_at"], batch_size=BATCH
        )
        _confirm_unknown_creations(tenant_id, listed)


def _read_details(account: SerwerSmsAccount, ids: list[int]) -> dict[int, SubaccountDetails]:
    """`view` of each id, a few at a time; one that vanished since `index` is skipped, any other error raised."""
    if not ids:
        return {}
    local = threading.local()

    def view(provider_id: int) -> SubaccountDetails | None:
        # One client (and HTTP session) per worker thread: a requests session is not made for sharing.
        if not hasattr(local, "client"):
            local.client = account.client(in_request=False)
        try:
            return local.client.view(provider_id)
        except NotFoundError:
            return None

    with ThreadPoolExecutor(max_workers=min(PARALLEL_VIEWS, len(ids))) as pool:
        results = list(pool.map(view, ids))
    return {provider_id: found for provider_id, found in zip(ids, results, strict=True) if found is not None}


def _confirm_unknown_creations(tenant_id: int, listed: dict[int, str]) -> None:
    """A creation whose answer was lost is settled once its login shows up in the list."""
    by_login = {login: provider_id for provider_id, login in listed.items()}
    given_up = timezone.now() - SubaccountCreation.SENDING_GIVES_UP_AFTER
    unsettled = SubaccountCreation.objects.filter(
        tenant_id=tenant_id,
        status__in=[SubaccountCreation.Status.UNKNOWN, SubaccountCreation.Status.SENDING],
    )
    for creation in unsettled:
        if creation.login not in by_login:
            continue
        if creation.status == SubaccountCreation.Status.SENDING and (
            creation.sent_at is None or creation.sent_at > given_up
        ):
            continue  # still being sent by a request: that request settles it
        SubaccountCreation.objects.filter(pk=creation.pk, status=creation.status).update(
            status=SubaccountCreation.Status.CREATED,
            provider_id=by_login[creation.login],
            finished_at=creation.finished_at or timezone.now(),
        )


def _clip(text: str, length: int) -> str:
    return text[:length]
