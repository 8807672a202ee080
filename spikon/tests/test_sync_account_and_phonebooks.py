"""Syncs against the sandbox over real HTTP: balance, phone accounts, phonebooks and entries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SyncStatus
from spikon import sync, tasks
from spikon.models import PhoneAccount, PhoneBook, PhoneBookEntry, SpikonAccount
from spikon.sandbox import HOSTILE_SCRIPT

pytestmark = pytest.mark.django_db


def test_account_sync_copies_balance_and_phone_accounts(spikon_account, sandbox):
    sync.sync_account(spikon_account.tenant_id)

    spikon_account.refresh_from_db()
    assert spikon_account.balance == Decimal("287.45")
    phones = {phone.number: phone for phone in PhoneAccount.objects.filter(tenant=spikon_account.tenant)}
    assert len(phones) == 4
    reception = phones["583001100"]
    assert (reception.internal_number, reception.sip_login, reception.description) == (
        "100",
        "58300110",
        "Recepcja",
    )
    assert reception.is_registered and reception.recording
    warehouse = phones["583001102"]
    assert not warehouse.is_registered and not warehouse.recording
    assert phones["583001103"].internal_number == ""  # the provider's "-": no internal number
    status = SyncStatus.objects.get(tenant=spikon_account.tenant, provider="spikon", resource="account")
    assert status.last_success_at is not None and not status.last_error


def test_account_sync_is_idempotent_and_follows_the_provider(spikon_account, sandbox):
    sync.sync_account(spikon_account.tenant_id)
    first_ids = set(PhoneAccount.objects.values_list("pk", flat=True))
    sandbox.balance = Decimal("-12.50")
    with sandbox._lock:
        del sandbox._accounts[4]
        sandbox._accounts[1].description = "Recepcja główna"

    sync.sync_account(spikon_account.tenant_id)

    spikon_account.refresh_from_db()
    assert spikon_account.balance == Decimal("-12.50")
    assert set(PhoneAccount.objects.values_list("pk", flat=True)) < first_ids  # same rows, one gone
    assert PhoneAccount.objects.count() == 3
    assert PhoneAccount.objects.get(provider_id=1).description == "Recepcja główna"


def test_a_failed_sync_keeps_the_old_copy_and_records_the_providers_words(spikon_account, sandbox):
    sync.sync_account(spikon_account.tenant_id)
    sandbox.set_fault("/api/phone_account/list", "auth")

    sync.sync_account(spikon_account.tenant_id)

    assert PhoneAccount.objects.count() == 4
    status = SyncStatus.objects.get(tenant=spikon_account.tenant, provider="spikon", resource="account")
    assert "-3" in status.last_error and "Unknown API key" in status.last_error
    assert status.failing_since is not None and status.next_retry_at is not None
    assert spikon_account.api_key not in status.last_error


def test_sync_without_an_account_ends_quietly(tenant):
    sync.sync_account(tenant.pk)
    sync.sync_phonebooks(tenant.pk)

    status = SyncStatus.objects.get(tenant=tenant, provider="spikon", resource="phonebooks")
    assert status.running_since is None and not status.last_error


def test_phonebook_sync_copies_books_and_entries(spikon_account, sandbox):
    sync.sync_phonebooks(spikon_account.tenant_id)

    books = {book.provider_id: book for book in PhoneBook.objects.filter(tenant=spikon_account.tenant)}
    assert {id_: book.name for id_, book in books.items()} == {
        0: "Książka główna",
        1: "Klienci VIP",
        2: "Dostawcy",
    }
    assert books[0].is_main
    assert [books[id_].entries.count() for id_ in (0, 1, 2)] == [8, 5, 4]
    entry = books[2].entries.order_by("provider_id").first()
    assert entry.provider_id is not None and entry.name == "Hurtownia Bałtyk"


def test_phonebook_sync_follows_changes_and_keeps_rows_added_meanwhile(spikon_account, sandbox):
    sync.sync_phonebooks(spikon_account.tenant_id)
    vip = PhoneBook.objects.get(provider_id=1)
    renamed_entry_id = vip.entries.order_by("provider_id").first().provider_id
    with sandbox._lock:
        del sandbox._books[2]  # the provider deletes a book with its entries
        sandbox._entries = {key: value for key, value in sandbox._entries.items() if value[0] != 2}
        sandbox._entries[renamed_entry_id] = (1, "Nowa nazwa", "600000001")
    # A page added this entry while the sync was reading: the sync must not remove it.
    later = PhoneBookEntry.objects.create(
        tenant=spikon_account.tenant, book=vip, provider_id=9999, name="Just added", number="600999999"
    )
    PhoneBookEntry.objects.filter(pk=later.pk).update(created_at=timezone.now() + timedelta(seconds=30))

    sync.sync_phonebooks(spikon_account.tenant_id)

    assert set(PhoneBook.objects.values_list("provider_id", flat=True)) == {0, 1}
    renamed = PhoneBookEntry.objects.get(book=vip, provider_id=renamed_entry_id)
    assert (renamed.name, renamed.number) == ("Nowa nazwa", "600000001")
    assert PhoneBookEntry.objects.filter(pk=later.pk).exists()
    assert vip.entries.count() == 6


def test_entries_without_provider_ids_are_matched_by_name_and_number(spikon_account):
    from spikon import client as api

    tenant_id = spikon_account.tenant_id
    started = timezone.now()
    books = {5: api.PhoneBook(id=5, name="Bez ID")}
    twice = [api.PhoneBookEntry(None, "Jan", "601"), api.PhoneBookEntry(None, "Jan", "601")]
    sync.save_phonebooks(tenant_id, books, {5: twice}, started)
    first = set(PhoneBookEntry.objects.values_list("pk", flat=True))

    sync.save_phonebooks(
        tenant_id, books, {5: [*twice, api.PhoneBookEntry(None, "Ewa", "602")]}, timezone.now()
    )

    rows = PhoneBookEntry.objects.filter(book__provider_id=5)
    assert rows.count() == 3 and first < set(rows.values_list("pk", flat=True))


def test_hostile_provider_text_is_stored_as_text_and_long_text_is_cut(spikon_account, sandbox):
    sandbox.seed_demo(hostile=True)
    with sandbox._lock:
        sandbox._books[7] = "x" * 300

    sync.sync_phonebooks(spikon_account.tenant_id)

    assert PhoneBook.objects.get(provider_id=2).name == HOSTILE_SCRIPT
    assert len(PhoneBook.objects.get(provider_id=7).name) == 100


def test_refresh_queues_the_sync_task(spikon_account, login, operator, django_capture_on_commit_callbacks):
    client = login(operator)
    url = reverse(
        "sync-status",
        kwargs={"tenant_slug": spikon_account.tenant.slug, "provider": "spikon", "resource": "phonebooks"},
    )
    with (
        mock.patch("config.celery.app.send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    send_task.assert_called_once_with(
        "spikon.tasks.sync_phonebooks", args=[spikon_account.tenant_id, "phonebooks"]
    )


def test_the_periodic_fan_out_queues_both_syncs_of_tenants_with_a_key(
    spikon_account, other_tenant, django_capture_on_commit_callbacks
):
    SpikonAccount.objects.create(tenant=other_tenant, api_key="", base_url="https://panel.spikon.pl")
    with (
        mock.patch("config.celery.app.send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.queue_scheduled_syncs([sync.ACCOUNT, sync.PHONEBOOKS])
    sent = sorted(call.args[0] for call in send_task.call_args_list)
    assert sent == ["spikon.tasks.sync_account", "spikon.tasks.sync_phonebooks"]
    assert {tuple(call.kwargs["args"]) for call in send_task.call_args_list} == {
        (spikon_account.tenant_id, "account"),
        (spikon_account.tenant_id, "phonebooks"),
    }
