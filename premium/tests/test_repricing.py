"""What callers paid per day after a number is bought or deleted here: recounted by a worker, not in the
request (every day the number has calls on is counted again: 4 s at 24 months of a thousand numbers), and
the pages say so while it waits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.overview import tenant_state
from premium import billing, services, tasks, totals
from premium import client as api
from premium import sync as premium_sync
from premium.billing import BillingQuery
from premium.models import PremiumNumber, Repricing
from premium.tests.test_views_numbers import buy
from provider_api.parsing import parse_local_datetime
from providers.tasks import sweep_jobs
from tests.faults import recording_queued_tasks
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db

JUNE = (date(2025, 6, 1), date(2025, 6, 30))
RECOUNTING_PL = "Kwoty zapłacone przez dzwoniących są właśnie przeliczane"
RECOUNTING_EN = "What callers paid is being recounted"


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def a_call(number: str, billed: int = 60) -> api.Call:
    start = parse_local_datetime("2025-06-01 10:00:00")
    return api.Call(
        1, "601000001", number, start, start, start, billed, billed, "ANSWERED", Decimal("0.10"), ""
    )


def paid_on_the_first(tenant) -> Decimal | None:
    (day,) = billing.day_takings(tenant, *JUNE)
    return day["paid"]


@pytest.fixture
def synced_for_buying(premium_account):
    premium_sync.sync_numbers(premium_account)
    premium_sync.sync_balance(premium_account)


def test_a_number_deleted_here_is_recounted_by_a_worker_and_the_pages_say_so_meanwhile(
    login, tenant, tenant_admin, viewer, premium_account, monkeypatch, django_capture_on_commit_callbacks
):
    premium_sync.sync_numbers(premium_account)
    number = PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()
    premium_sync.save_calls(tenant.pk, [a_call(number.number)])
    assert paid_on_the_first(tenant) == number.price_net

    with monkeypatch.context() as patch:
        patch.setattr(totals, "reprice", lambda *args, **kwargs: pytest.fail("recounted in the request"))
        with recording_queued_tasks(patch) as queued, django_capture_on_commit_callbacks(execute=True):
            response = login(tenant_admin).post(
                url("number-delete", tenant, number_id=number.pk), {"confirm_number": number.number}
            )

    assert response.status_code == 302
    job = Repricing.objects.get(tenant=tenant)
    assert job.number == number.number
    assert queued.sent == [("premium.tasks.reprice_totals", (job.pk,))]
    # Until the worker has run, the pages say the figures are being recounted: in Polish and in English.
    assert paid_on_the_first(tenant) == number.price_net
    client = login(viewer)
    june = {"year": 2025, "month": 6}
    assert RECOUNTING_PL in client.get(url("billing", tenant), june).text
    assert RECOUNTING_EN in client.get(url("billing", tenant), june, HTTP_ACCEPT_LANGUAGE="en").text
    assert tenant_state(tenant).premium_recounting
    home = client.get(reverse("tenant-home", kwargs={"tenant_slug": tenant.slug}))
    assert RECOUNTING_PL in home.text

    tasks.reprice_totals(job.pk)  # as the worker does

    # The number's calls are kept, its price is not known any more.
    assert paid_on_the_first(tenant) is None
    assert not Repricing.objects.filter(tenant=tenant).exists()
    assert RECOUNTING_PL not in client.get(url("billing", tenant), june).text
    assert not tenant_state(tenant).premium_recounting


def test_a_number_bought_here_gets_its_earlier_calls_priced_by_a_worker(
    login, tenant, tenant_admin, synced_for_buying, sandbox, monkeypatch, django_capture_on_commit_callbacks
):
    # The number the sandbox sells next: its calls are kept from an earlier time it was the account's.
    monkeypatch.setattr(sandbox._rng, "randrange", lambda stop: 123456)
    premium_sync.save_calls(tenant.pk, [a_call("705123456", billed=120)])
    assert paid_on_the_first(tenant) is None

    with monkeypatch.context() as patch:
        patch.setattr(totals, "reprice", lambda *args, **kwargs: pytest.fail("recounted in the request"))
        with recording_queued_tasks(patch) as queued, django_capture_on_commit_callbacks(execute=True):
            response, _token = buy(login(tenant_admin), tenant, 5)

    assert response.status_code == 302
    bought = PremiumNumber.objects.get(tenant=tenant, number="705123456")
    job = Repricing.objects.get(tenant=tenant)
    assert ("premium.tasks.reprice_totals", (job.pk,)) in queued.sent
    assert paid_on_the_first(tenant) is None
    assert billing.summarise(BillingQuery(2025, 6), tenant).recounting

    tasks.reprice_totals(job.pk)

    assert paid_on_the_first(tenant) == 2 * bought.price_net
    assert not billing.summarise(BillingQuery(2025, 6), tenant).recounting


def test_a_lost_message_is_queued_again_by_the_sweeper(tenant, tenant_admin, premium_account, monkeypatch):
    premium_sync.sync_numbers(premium_account)
    number = PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()
    with recording_queued_tasks(monkeypatch) as queued:
        services.delete_number(premium_account, tenant_admin, number)
    assert queued.sent == []  # the transaction of this test never commits: nothing went out
    job = Repricing.objects.get(tenant=tenant)
    Repricing.objects.filter(pk=job.pk).update(next_poll_at=timezone.now() - timedelta(minutes=5))

    with recording_queued_tasks(monkeypatch) as queued:
        sweep_jobs()

    assert ("premium.tasks.reprice_totals", (job.pk,)) in queued.sent


def test_two_changes_of_a_tenant_are_each_recounted_and_a_second_delivery_does_nothing(tenant):
    premium_sync.save_numbers(
        tenant.pk,
        [
            api.PremiumNumber("708123456", 8, Decimal("4.00"), Decimal(23), "", None),
            api.PremiumNumber("707999999", 7, Decimal("2.00"), Decimal(23), "", None),
        ],
    )
    premium_sync.save_calls(tenant.pk, [a_call("708123456")])
    PremiumNumber.objects.filter(tenant=tenant, number="708123456").update(price_net=Decimal("6.00"))
    first = totals.reprice_later(tenant.pk, "708123456")
    second = totals.reprice_later(tenant.pk, "707999999")

    tasks.reprice_totals(first.pk)
    tasks.reprice_totals(first.pk)  # delivered twice: the job is done, nothing is counted again

    assert paid_on_the_first(tenant) == Decimal("6.00")
    assert list(Repricing.objects.filter(tenant=tenant)) == [second]
    tasks.reprice_totals(second.pk)
    assert not Repricing.objects.exists()


@pytest.mark.worker
def test_a_real_worker_recounts_a_deletion_whose_message_was_lost(
    real_worker, tenant, tenant_admin, premium_account, monkeypatch
):
    premium_sync.sync_numbers(premium_account)
    number = PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()
    premium_sync.save_calls(tenant.pk, [a_call(number.number)])
    with recording_queued_tasks(monkeypatch) as lost:  # the message never reaches the broker
        services.delete_number(premium_account, tenant_admin, number)
    job = Repricing.objects.get(tenant=tenant)
    assert lost.sent == [("premium.tasks.reprice_totals", (job.pk,))]
    assert paid_on_the_first(tenant) == number.price_net

    # As beat would, once the job has been due for longer than the sweeper's grace.
    Repricing.objects.filter(pk=job.pk).update(next_poll_at=timezone.now() - timedelta(minutes=5))
    sweep_jobs()

    gone = lambda: not Repricing.objects.filter(pk=job.pk).exists()  # noqa: E731
    assert wait_for(gone), real_worker.log_path.read_text()[-3000:]
    assert paid_on_the_first(tenant) is None
