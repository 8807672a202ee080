"""Every Numery-Premium.PL call a page or a task makes, under every provider fault (table-driven).

Pages: a clear Polish message, never an error page, and the local copy (rows and stored files) unchanged.
Syncs: the failure and its reason recorded, the old data kept, the page saying since when the provider
does not answer, and the scheduled fan-out queueing nothing while the backoff lasts.
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
from premium import sync as premium_sync
from premium import tasks
from premium.models import Invoice, PremiumNumber
from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL, PremiumSandbox
from premium.views.numbers import PURCHASE_TOKENS
from provider_api.wsgi_server import Mount, serve_in_thread
from tests.faults import (
    FAULTS,
    POLISH_NOT_ANSWERING_SINCE,
    POLISH_SYNC_FAILING_SINCE,
    UNREACHABLE,
    assert_clear_message,
    assert_failure_recorded,
    files_under,
    inject,
    recording_queued_tasks,
    snapshot,
    use_short_timeouts,
)


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    use_short_timeouts(monkeypatch)


@pytest.fixture(scope="module")
def _loopback_server():
    """One server for the module's many tests; each test mounts its own fresh sandbox on it."""
    mount = Mount()
    with serve_in_thread(mount) as url:
        yield url, mount


@pytest.fixture
def served(_loopback_server):
    url, mount = _loopback_server
    mount.app = PremiumSandbox(DEMO_EMAIL, DEMO_API_KEY)
    mount.app.seed_demo()
    return mount.app, url


@pytest.fixture
def synced(premium_account, sandbox):
    """The local copy of everything, read while the provider answered."""
    sandbox.calls_per_month = 20
    for kind in ("numbers", "balance", "wallet", "invoices"):
        premium_sync.SYNCS[kind](premium_account, kind)
    premium_sync.sync_billing(premium_account, premium_sync.billing_resource(*premium_sync.current_month()))
    return premium_account


def _point_at(account) -> Callable[[str], None]:
    def point(base_url: str) -> None:
        account.base_url = base_url
        account.save(update_fields=["base_url"])

    return point


# --- Pages ---------------------------------------------------------------------------------------


def _first_number(tenant) -> PremiumNumber:
    return PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()


def _account_test(client, tenant):
    return client.post(url("account-test", tenant), follow=True)


def _redirect(client, tenant):
    number = _first_number(tenant)
    data = {f"n{number.pk}-target": "601999888", f"n{number.pk}-presentation": "prezentacjaA"}
    return client.post(url("number-redirect", tenant, number_id=number.pk), data)


def _bulk_numbers(tenant) -> list[PremiumNumber]:
    return list(PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:2])


def _bulk_redirect(client, tenant):
    numbers = [number.pk for number in _bulk_numbers(tenant)]
    return client.post(
        url("numbers-bulk-redirect", tenant), {"numbers": numbers, "target": "601999888"}, follow=True
    )


def _buy(client, tenant):
    client.get(url("number-buy", tenant), {"tariff": 5})
    token = client.session[PURCHASE_TOKENS][-1]
    return client.post(url("number-buy", tenant), {"tariff": 5, "confirmation": token})


def _delete(client, tenant):
    number = _first_number(tenant)
    return client.post(url("number-delete", tenant, number_id=number.pk), {"confirm_number": number.number})


def _first_invoice(tenant) -> Invoice:
    return Invoice.objects.filter(tenant=tenant).order_by("provider_id").first()


def _invoice(client, tenant):
    invoice = _first_invoice(tenant)
    return client.get(url("invoice-download", tenant, invoice_id=invoice.pk), follow=True)


@dataclass(frozen=True)
class PageCall:
    name: str
    paths: Callable[[object], list[str]]  # the provider paths the call reaches, given the tenant
    act: Callable  # (client, tenant) -> the final response
    member: str = "tenant_admin"
    attempt_records: tuple[str, ...] = ()  # models whose rows record the attempt itself

    def __str__(self) -> str:
        return self.name


PAGE_CALLS = [
    PageCall("account-test balance", lambda t: ["/api/account/balance"], _account_test),
    PageCall(
        "redirect setRedirect",
        lambda t: [f"/api/prm/voice/setRedirect/{_first_number(t).number}"],
        _redirect,
        member="operator",
    ),
    PageCall(
        "bulk-redirect setRedirect",
        lambda t: [f"/api/prm/voice/setRedirect/{number.number}" for number in _bulk_numbers(t)],
        _bulk_redirect,
        member="operator",
    ),
    PageCall(
        "buy addNumber",
        lambda t: ["/api/prm/voice/addNumber/5"],
        _buy,
        attempt_records=("UsedPurchaseToken",),
    ),
    PageCall("delete", lambda t: [f"/api/prm/voice/delete/{_first_number(t).number}"], _delete),
    PageCall(
        "invoice invoiceDownload",
        lambda t: [f"/api/account/invoice/{_first_invoice(t).provider_id}"],
        _invoice,
    ),
]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("call", PAGE_CALLS, ids=str)
def test_a_page_explains_the_fault_and_changes_nothing(
    call, fault, request, login, tenant, synced, sandbox, settings
):
    client = login(request.getfixturevalue(call.member))
    for path in call.paths(tenant):
        inject(fault, sandbox, path, _point_at(synced))
    rows, files = snapshot("premium", skip=call.attempt_records), files_under(settings.MEDIA_ROOT)

    response = call.act(client, tenant)

    assert response.status_code < 500
    assert_clear_message(response.text, fault)
    assert snapshot("premium", skip=call.attempt_records) == rows, "nothing is half-written"
    assert files_under(settings.MEDIA_ROOT) == files, "no partial file is kept"
    assert AuditEvent.objects.filter(outcome="success").count() == 0


# --- Syncs ---------------------------------------------------------------------------------------


def _billing_resource() -> str:
    return premium_sync.billing_resource(*premium_sync.current_month())


@dataclass(frozen=True)
class SyncCall:
    kind: str
    path: str
    page: str  # the page whose status line shows this sync ("" : the overview lists it among failing syncs)

    def __str__(self) -> str:
        return self.kind

    @property
    def resource(self) -> str:
        return _billing_resource() if self.kind == "billing" else self.kind

    @property
    def task(self):
        return getattr(tasks, f"sync_{self.kind}")


SYNC_CALLS = [
    SyncCall("numbers", "/api/prm/voice/showNumbers", "numbers"),
    # The wallet page's one line is the wallet sync's, which reads the balance too; the balance's own
    # (scheduled, for the overview and the alerts) shows on the overview.
    SyncCall("balance", "/api/account/balance", ""),
    SyncCall("billing", "/api/prm/voice/billing", "billing"),
    SyncCall("wallet", "/api/account/balance/history", "wallet"),
    SyncCall("invoices", "/api/account/invoices", "invoices"),
]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("call", SYNC_CALLS, ids=str)
def test_a_sync_records_the_fault_keeps_the_data_and_backs_off(
    call, fault, login, tenant, viewer, synced, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    inject(fault, sandbox, call.path, _point_at(synced))
    rows = snapshot("premium")

    call.task(tenant.pk, call.resource)

    assert snapshot("premium") == rows
    status = SyncStatus.objects.get(tenant=tenant, provider="premium", resource=call.resource)
    assert_failure_recorded(status, fault)
    if not call.page:
        overview = login(viewer).get(reverse("tenant-home", kwargs={"tenant_slug": tenant.slug})).text
        assert f"Numery-Premium.PL / {call.resource}" in overview
    else:
        page = login(viewer).get(url(call.page, tenant)).text
        if fault in UNREACHABLE:
            assert POLISH_NOT_ANSWERING_SINCE in page
        else:
            assert POLISH_SYNC_FAILING_SINCE in page
        assert escape(status.last_error) in page

    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        assert tasks.queue_scheduled_syncs([call.resource]) == 0
        assert tasks.queue_scheduled_syncs([call.resource]) == 0
    assert queued.sent == [], "failures do not pile up tasks"

    # Once the backoff has passed, the schedule tries again: one task.
    SyncStatus.objects.filter(pk=status.pk).update(next_retry_at=timezone.now() - timedelta(seconds=1))
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        assert tasks.queue_scheduled_syncs([call.resource]) == 1
    assert queued.sent == [(call.task.name, (tenant.pk, call.resource))]
