"""The subaccount sync against the sandbox over real HTTP, the fan-out and the sync kind's registration."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import sync as sync_state
from accounts.models import SyncStatus, Tenant
from sms import sync, tasks
from sms.client import SerwerSmsClient
from sms.models import SerwerSmsAccount, Subaccount, SubaccountCreation, SubaccountLimit
from sms.sandbox import DEMO_TEMPLATE_ID, DEMO_TOKEN, DEMO_USERNAME

VIEW = "/subaccounts/view.json"
INDEX = "/subaccounts/index.json"


def rows(tenant) -> dict[int, Subaccount]:
    return {row.provider_id: row for row in Subaccount.objects.filter(tenant=tenant)}


def status(tenant) -> SyncStatus:
    return SyncStatus.objects.get(tenant=tenant, provider="sms", resource="subaccounts")


def test_sync_copies_the_list_with_the_details_of_each(tenant, sms_account, sandbox):
    sync.sync_subaccounts(tenant.pk)
    copied = rows(tenant)
    assert sorted(copied) == [1100, 1194, 1207, 1215, 1233]
    wojtek = copied[1194]
    assert (wojtek.login, wojtek.name, wojtek.phone, wojtek.email) == (
        "wojtek",
        "Wojciech Kowalski",
        "+48730856000",
        "wojtek@example.pl",
    )
    assert copied[DEMO_TEMPLATE_ID].login == "szablon" and copied[DEMO_TEMPLATE_ID].phone == ""
    assert all(row.details_synced_at is not None for row in copied.values())
    assert sandbox.request_count(INDEX) == 1 and sandbox.request_count(VIEW) == 5
    assert status(tenant).last_success_at is not None


def test_sync_with_an_api_user_instead_of_a_token(tenant, sandbox_url, sandbox):
    SerwerSmsAccount.objects.create(
        tenant=tenant,
        auth_method=SerwerSmsAccount.AuthMethod.API_USER,
        api_username=DEMO_USERNAME,
        api_password="demo-haslo-2024",
        base_url=sandbox_url,
    )
    sync.sync_subaccounts(tenant.pk)
    assert len(rows(tenant)) == 5


def test_a_second_sync_updates_removes_vanished_ones_and_keeps_limits(tenant, synced, sandbox, tenant_admin):
    wojtek = Subaccount.objects.get(tenant=tenant, provider_id=1194)
    SubaccountLimit.objects.create(
        tenant=tenant, subaccount=wojtek, message_type="eco", value=10, set_at=timezone.now()
    )
    client = synced.client(in_request=False)
    client.delete(1207)
    new_id = client.add(
        subaccount_username="nowy", subaccount_password="Tajne-1", subaccount_id=DEMO_TEMPLATE_ID
    )

    sync.sync_subaccounts(tenant.pk)

    copied = rows(tenant)
    assert 1207 not in copied and copied[new_id].login == "nowy"
    assert copied[1194].pk == wojtek.pk and SubaccountLimit.objects.get(subaccount=wojtek).value == 10


def test_sync_keeps_tenants_apart(tenant, other_tenant, synced, sandbox):
    Subaccount.objects.create(tenant=other_tenant, provider_id=1194, login="not-theirs")
    sync.sync_subaccounts(tenant.pk)
    assert Subaccount.objects.get(tenant=other_tenant).login == "not-theirs"
    assert len(rows(tenant)) == 5


def test_a_failing_sync_keeps_the_old_copy_and_records_the_providers_words(tenant, synced, sandbox):
    before = {pid: (row.login, row.name) for pid, row in rows(tenant).items()}
    sandbox.set_fault(INDEX, "auth")
    sync.sync_subaccounts(tenant.pk)
    assert {pid: (row.login, row.name) for pid, row in rows(tenant).items()} == before
    recorded = status(tenant)
    assert recorded.failing_since is not None and recorded.consecutive_failures == 1
    assert "1001" in recorded.last_error and "InvalidUser" in recorded.last_error
    assert DEMO_TOKEN not in recorded.last_error


def test_a_failing_view_writes_nothing(tenant, sms_account, sandbox):
    sandbox.set_fault(VIEW, "truncated")
    sync.sync_subaccounts(tenant.pk)
    assert rows(tenant) == {}
    assert status(tenant).failing_since is not None


def test_a_subaccount_deleted_between_index_and_view_is_skipped(tenant, sms_account, sandbox, monkeypatch):
    real_view = SerwerSmsClient.view

    def view_after_delete(self, subaccount_id):
        if subaccount_id == 1215:
            sms_account.client(in_request=False).delete(1215)
        return real_view(self, subaccount_id)

    monkeypatch.setattr(SerwerSmsClient, "view", view_after_delete)
    sync.sync_subaccounts(tenant.pk)
    copied = rows(tenant)
    assert copied[1215].details_synced_at is None and copied[1194].name == "Wojciech Kowalski"
    assert status(tenant).failing_since is None


def test_details_are_read_in_bounded_batches_oldest_first(tenant, sms_account, sandbox, monkeypatch):
    monkeypatch.setattr(sync, "DETAILS_PER_SYNC", 2)
    sync.sync_subaccounts(tenant.pk)
    assert sandbox.request_count(VIEW) == 2
    assert sum(row.details_synced_at is not None for row in rows(tenant).values()) == 2
    sync.sync_subaccounts(tenant.pk)
    sync.sync_subaccounts(tenant.pk)
    assert sandbox.request_count(VIEW) == 6
    assert all(row.details_synced_at is not None for row in rows(tenant).values())


def test_provider_markup_is_stored_as_text(tenant, sms_account, sandbox):
    sandbox.seed_demo(hostile=True)
    sync.sync_subaccounts(tenant.pk)
    assert rows(tenant)[1194].name == "Wojciech <script>alert(1)</script>"


def test_a_tenant_without_an_account_syncs_nothing_and_is_not_left_queued(tenant):
    sync.sync_subaccounts(tenant.pk)
    assert not Subaccount.objects.exists()
    assert not status(tenant).is_busy


def test_an_unknown_creation_is_settled_when_its_login_appears(tenant, synced, sandbox):
    long_ago = timezone.now() - timedelta(minutes=5)
    unknown = SubaccountCreation.objects.create(
        tenant=tenant, status=SubaccountCreation.Status.UNKNOWN, login="pojawiony", sent_at=long_ago
    )
    stale_sending = SubaccountCreation.objects.create(
        tenant=tenant, status=SubaccountCreation.Status.SENDING, login="pojawiony", sent_at=long_ago
    )
    still_sending = SubaccountCreation.objects.create(
        tenant=tenant, status=SubaccountCreation.Status.SENDING, login="pojawiony", sent_at=timezone.now()
    )
    never_there = SubaccountCreation.objects.create(
        tenant=tenant, status=SubaccountCreation.Status.UNKNOWN, login="nieobecny", sent_at=long_ago
    )
    new_id = synced.client(in_request=False).add(
        subaccount_username="pojawiony", subaccount_password="Tajne-1", subaccount_id=DEMO_TEMPLATE_ID
    )
    sync.sync_subaccounts(tenant.pk)
    for creation in (unknown, stale_sending, still_sending, never_there):
        creation.refresh_from_db()
    assert unknown.status == stale_sending.status == SubaccountCreation.Status.CREATED
    assert unknown.provider_id == new_id
    assert still_sending.status == SubaccountCreation.Status.SENDING
    assert never_there.status == SubaccountCreation.Status.UNKNOWN


def test_the_sync_kind_is_registered_for_the_refresh_button(tenant, sms_account, login, operator):
    assert sync_state.kind_for("sms", "subaccounts").task_name == "sms.tasks.sync_subaccounts"
    url = reverse(
        "sync-status", kwargs={"tenant_slug": tenant.slug, "provider": "sms", "resource": "subaccounts"}
    )
    response = login(operator).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and status(tenant).queued_at is not None


def test_the_fan_out_queues_one_sync_per_account(
    tenant, other_tenant, sms_account, django_capture_on_commit_callbacks
):
    SerwerSmsAccount.objects.create(tenant=other_tenant, api_token="other-token-123456")
    Tenant.objects.create(slug="bez-konta", name="No account")
    with django_capture_on_commit_callbacks() as callbacks:
        tasks.queue_subaccount_syncs()
        tasks.queue_subaccount_syncs()  # already queued: nothing more
    assert len(callbacks) == 2
    queued = SyncStatus.objects.filter(provider="sms", resource="subaccounts", queued_at__isnull=False)
    assert {row.tenant_id for row in queued} == {tenant.pk, other_tenant.pk}


def test_the_fan_out_waits_out_the_backoff(tenant, sms_account, django_capture_on_commit_callbacks):
    SyncStatus.objects.create(
        tenant=tenant,
        provider="sms",
        resource="subaccounts",
        last_attempt_at=timezone.now(),
        next_retry_at=timezone.now() + timedelta(minutes=2),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        tasks.queue_subaccount_syncs()
    assert callbacks == []


def test_the_schedule_runs_the_fan_out_every_15_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sms-sync-subaccounts"]
    assert entry == {"task": "sms.tasks.queue_subaccount_syncs", "schedule": 900.0}


@pytest.mark.worker
def test_refresh_reaches_a_real_worker_that_syncs_from_the_sandbox(
    real_worker, tenant, operator, sms_account, sandbox, client
):
    client.force_login(operator)
    url = reverse(
        "sync-status", kwargs={"tenant_slug": tenant.slug, "provider": "sms", "resource": "subaccounts"}
    )
    assert client.post(url).status_code == 302
    deadline = timezone.now() + timedelta(seconds=30)
    while timezone.now() < deadline and Subaccount.objects.filter(tenant=tenant).count() != 5:
        time.sleep(0.2)
    assert Subaccount.objects.filter(tenant=tenant).count() == 5, real_worker.log_path.read_text()
    assert Subaccount.objects.get(tenant=tenant, provider_id=1233).name == "Sklep Gdańsk – Długi Targ"
