"""Every SerwerSMS.pl call a page or a task makes, under every provider fault (table-driven).

Pages: a clear Polish message, never an error page, and the local copy unchanged (a creation form's own
row records the attempt: refused, or of unknown outcome). The sync: the failure and its reason recorded,
the old list kept, the list page saying since when the provider does not answer, and the scheduled
fan-out queueing nothing while the backoff lasts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import AuditEvent, SyncStatus
from sms import tasks
from sms.models import Subaccount, SubaccountCreation
from sms.sandbox import DEMO_TEMPLATE_ID
from tests.faults import (
    FAULTS,
    POLISH_NOT_ANSWERING_SINCE,
    POLISH_SYNC_FAILING_SINCE,
    UNREACHABLE,
    assert_clear_message,
    assert_failure_recorded,
    inject,
    recording_queued_tasks,
    snapshot,
    use_short_timeouts,
)


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"sms:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    use_short_timeouts(monkeypatch)


@pytest.fixture
def polish_client(login, settings):
    """This app's `login` asks for English pages; the operator's language is Polish."""

    def _login(user):
        client = login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
        return client

    return _login


def _point_at(account) -> Callable[[str], None]:
    def point(base_url: str) -> None:
        account.base_url = base_url
        account.save(update_fields=["base_url"])

    return point


def _subaccount(tenant) -> Subaccount:
    return (
        Subaccount.objects.filter(tenant=tenant).exclude(provider_id=DEMO_TEMPLATE_ID).order_by("pk").first()
    )


# --- Pages ---------------------------------------------------------------------------------------


def _account_test(client, tenant):
    return client.post(url("account-test", tenant), follow=True)


def _limit(client, tenant):
    subaccount = _subaccount(tenant)
    return client.post(
        url("subaccount-limit", tenant, subaccount_id=subaccount.pk), {"message_type": "eco", "value": 500}
    )


def _delete(client, tenant):
    subaccount = _subaccount(tenant)
    return client.post(
        url("subaccount-delete", tenant, subaccount_id=subaccount.pk), {"confirm_login": subaccount.login}
    )


def _create(client, tenant):
    form = client.get(url("subaccount-create", tenant)).context["form"]
    template = Subaccount.objects.get(tenant=tenant, provider_id=DEMO_TEMPLATE_ID)
    data = {
        "form_token": form.initial["form_token"],
        "template": str(template.pk),
        "login": "nowe.konto",
        "password": "Haslo-Nowe-77",
        "name": "Nowe konto",
        "phone": "",
        "email": "",
    }
    return client.post(url("subaccount-create", tenant), data, follow=True)


@dataclass(frozen=True)
class PageCall:
    name: str
    path: str
    act: Callable  # (client, tenant) -> the final response
    attempt_records: tuple[str, ...] = ()  # models whose rows record the attempt itself

    def __str__(self) -> str:
        return self.name


PAGE_CALLS = [
    PageCall("account-test index", "/subaccounts/index.json", _account_test),
    PageCall("limit", "/subaccounts/limit.json", _limit),
    PageCall("delete", "/subaccounts/delete.json", _delete),
    PageCall("create add", "/subaccounts/add.json", _create, attempt_records=("SubaccountCreation",)),
]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("call", PAGE_CALLS, ids=str)
def test_a_page_explains_the_fault_and_changes_nothing(
    call, fault, polish_client, tenant, tenant_admin, synced, sandbox
):
    client = polish_client(tenant_admin)
    inject(fault, sandbox, call.path, _point_at(synced))
    rows = snapshot("sms", skip=call.attempt_records)

    response = call.act(client, tenant)

    assert response.status_code < 500
    assert_clear_message(response.text, fault)
    assert snapshot("sms", skip=call.attempt_records) == rows, "nothing is half-written"
    assert AuditEvent.objects.filter(outcome="success").count() == 0
    for creation in SubaccountCreation.objects.exclude(status=SubaccountCreation.Status.NEW):
        assert creation.status in (SubaccountCreation.Status.REFUSED, SubaccountCreation.Status.UNKNOWN)
        assert creation.provider_id is None


# --- The sync ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("path", ["/subaccounts/index.json", "/subaccounts/view.json"])
def test_the_sync_records_the_fault_keeps_the_list_and_backs_off(
    path,
    fault,
    polish_client,
    tenant,
    viewer,
    synced,
    sandbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    Subaccount.objects.filter(tenant=tenant).update(details_synced_at=None)  # every `view` is due again
    inject(fault, sandbox, path, _point_at(synced))
    rows = snapshot("sms")

    tasks.sync_subaccounts(tenant.pk, "subaccounts")

    assert snapshot("sms") == rows
    status = SyncStatus.objects.get(tenant=tenant, provider="sms", resource="subaccounts")
    assert_failure_recorded(status, fault)
    page = polish_client(viewer).get(url("index", tenant)).text
    assert (POLISH_NOT_ANSWERING_SINCE if fault in UNREACHABLE else POLISH_SYNC_FAILING_SINCE) in page
    assert escape(status.last_error) in page

    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        tasks.queue_subaccount_syncs()
        tasks.queue_subaccount_syncs()
    assert queued.sent == [], "failures do not pile up tasks"

    SyncStatus.objects.filter(pk=status.pk).update(next_retry_at=timezone.now() - timedelta(seconds=1))
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        tasks.queue_subaccount_syncs()
    assert queued.sent == [(tasks.sync_subaccounts.name, (tenant.pk, "subaccounts"))]
