"""The background syncs against the sandbox over real HTTP: idempotent upserts, failures, fan-outs."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from accounts import sync as account_sync
from accounts.models import SyncStatus, Tenant
from premium import client as api
from premium import sync as premium_sync
from premium import tasks
from premium.client import PremiumClient
from premium.models import (
    Call,
    DayTariffTotal,
    Invoice,
    MonthNumberOverall,
    MonthNumberTotal,
    PremiumAccount,
    PremiumNumber,
    WalletEntry,
)
from premium.sandbox import DEMO_API_KEY, DEMO_EMAIL
from provider_api.parsing import parse_local_datetime

CURRENT = premium_sync.billing_resource(*premium_sync.current_month())


def writes(queries, table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if f'"{table}"' in q["sql"].partition("SELECT")[0]  # written to the table, not read from it
        and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def status(tenant: Tenant, resource: str) -> SyncStatus:
    return SyncStatus.objects.get(tenant=tenant, provider="premium", resource=resource)


# --- Numbers and balance -------------------------------------------------------------------------


def test_numbers_sync_mirrors_the_account_and_a_resync_changes_nothing(premium_account, sandbox, tenant):
    tasks.sync_numbers(tenant.pk, "numbers")

    numbers = {n.number: n for n in PremiumNumber.objects.filter(tenant=tenant)}
    listed = PremiumClient(DEMO_EMAIL, DEMO_API_KEY, base_url=premium_account.base_url).show_numbers()
    assert set(numbers) == {n.premium for n in listed}
    for item in listed:
        row = numbers[item.premium]
        assert (row.tariff, row.price_net, row.vat_percent) == (item.tariff, item.netto, item.tax)
        assert row.redirect_to == (item.redirect_to or "")
        assert row.price_gross == item.brutto
        assert row.synced_at is not None
    assert status(tenant, "numbers").last_success_at is not None

    again = premium_sync.save_numbers(tenant.pk, listed)
    assert (again.created, again.updated, again.deleted, again.unchanged) == (0, 0, 0, len(listed))


def test_numbers_sync_updates_changes_made_elsewhere_and_drops_deleted_numbers(
    premium_account, sandbox, tenant
):
    tasks.sync_numbers(tenant.pk, "numbers")
    changed, deleted = PremiumNumber.objects.filter(tenant=tenant).order_by("number")[:2]
    changed.presentation, changed.announcement = "prezentacja", True
    changed.save()
    provider = PremiumClient(DEMO_EMAIL, DEMO_API_KEY, base_url=premium_account.base_url)
    provider.set_redirect(changed.number, "501222333")
    provider.delete_number(deleted.number)

    saved = premium_sync.save_numbers(tenant.pk, provider.show_numbers())

    assert (saved.updated, saved.deleted) == (1, 1)
    changed.refresh_from_db()
    assert changed.redirect_to == "501222333"
    # Changed outside the dashboard: what we knew of its presentation is no longer true.
    assert (changed.presentation, changed.announcement) == ("", None)
    assert not PremiumNumber.objects.filter(pk=deleted.pk).exists()


def test_balance_sync_stores_net_vat_and_gross(premium_account, sandbox, tenant):
    tasks.sync_balance(tenant.pk, "balance")

    premium_account.refresh_from_db()
    net = Decimal(sandbox.wallet_grosze()) / 100
    assert premium_account.balance_net == net
    assert premium_account.balance_vat_percent == 23
    assert premium_account.balance_gross == (net * Decimal("1.23")).quantize(Decimal("0.01"))


# --- Billing -------------------------------------------------------------------------------------


def test_billing_sync_stores_64_bit_call_ids_once_and_a_resync_writes_nothing(
    premium_account, sandbox, tenant
):
    tasks.sync_billing(tenant.pk, CURRENT)

    calls = Call.objects.filter(tenant=tenant)
    assert calls.count() == sandbox.calls_per_month
    assert min(calls.values_list("call_id", flat=True)) > 2**32
    assert status(tenant, CURRENT).last_success_at is not None

    with CaptureQueriesContext(connection) as queries:
        tasks.sync_billing(tenant.pk, CURRENT)
    assert writes(queries.captured_queries, "premium_call") == []
    assert calls.count() == sandbox.calls_per_month


def test_billing_sync_updates_only_what_changed(premium_account, sandbox, tenant):
    tasks.sync_billing(tenant.pk, CURRENT)
    tampered = Call.objects.filter(tenant=tenant, disposition="ANSWERED").first()
    original = (tampered.billed_seconds, tampered.redirect_cost)
    Call.objects.filter(pk=tampered.pk).update(billed_seconds=1, redirect_cost=Decimal("99"))

    calls = PremiumClient(DEMO_EMAIL, DEMO_API_KEY, base_url=premium_account.base_url).billing()
    saved = premium_sync.save_calls(tenant.pk, calls)

    assert (saved.created, saved.updated, saved.unchanged) == (0, 1, len(calls) - 1)
    tampered.refresh_from_db()
    assert (tampered.billed_seconds, tampered.redirect_cost) == original


def test_calls_in_the_hours_the_clocks_change_are_not_rewritten_by_every_sync(tenant):
    def call(call_id: int, local: str) -> api.Call:
        start = parse_local_datetime(local)
        return api.Call(
            call_id, "601000001", "708123456", start, None, start, 3, 0, "BUSY", Decimal(0), "601123456"
        )

    # 02:30 happens twice on 26 October 2025 and not at all on 30 March 2025 in Warsaw.
    calls = [call(1, "2025-10-26 02:30:00"), call(2, "2025-03-30 02:30:00"), call(3, "2025-06-01 12:00:00")]
    assert premium_sync.save_calls(tenant.pk, calls).created == 3

    with CaptureQueriesContext(connection) as queries:
        again = premium_sync.save_calls(tenant.pk, calls)

    assert (again.updated, again.unchanged) == (0, 3)
    assert writes(queries.captured_queries, "premium_call") == []


def test_billing_upsert_uses_a_constant_number_of_queries_per_batch(premium_account, sandbox, tenant):
    sandbox.calls_per_month = 2500
    calls = PremiumClient(DEMO_EMAIL, DEMO_API_KEY, base_url=premium_account.base_url).billing()

    with CaptureQueriesContext(connection) as queries:
        saved = premium_sync.save_calls(tenant.pk, calls)

    assert saved.created == 2500
    inserts = writes(queries.captured_queries, "premium_call")
    if connection.vendor == "postgresql":
        # A month's first import: one check, then every row in one COPY (not a query), however many.
        assert inserts == []
        assert len(queries.captured_queries) <= 19  # savepoints and the month's totals (per day and number, and per day and tariff) included
        # Its commit does not wait for the disk (lost whole in a crash, fetched again by the next sync).
        assert queries.captured_queries[1]["sql"] == "SET LOCAL synchronous_commit TO OFF"
        return
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    # One per batch of 1000 calls; four to count the month's totals (the prices, the calls per day and
    # number, those rows per day and tariff, and per number).
    assert len(selects) == 3 + 4
    # Bulk INSERTs of many rows each (SQLite caps a statement at 999 parameters: 83 rows of 12 fields).
    assert 1 <= len(inserts) <= 2500 // 75


def call_at(call_id: int, local: str, number: str = "708123456", disposition: str = "ANSWERED") -> api.Call:
    start = parse_local_datetime(local)
    billed = 60 if disposition == "ANSWERED" else 0
    return api.Call(
        call_id,
        "601000001",
        number,
        start,
        start,
        start,
        billed,
        billed,
        disposition,
        Decimal("0.10"),
        "601123456",
    )


def month_totals(tenant, year: int, month: int) -> dict:
    return {
        (row.number, row.disposition): (row.calls, row.billed_seconds, row.cost)
        for row in MonthNumberTotal.objects.filter(tenant=tenant, year=year, month=month)
    }


def month_overall(tenant, year: int, month: int) -> dict:
    rows = MonthNumberOverall.objects.filter(tenant=tenant, year=year, month=month)
    fields = ("number", "calls", "answered", "billed_seconds", "cost")  # what every migration's table has
    return {number: tuple(figures) for number, *figures in rows.values_list(*fields)}


def day_totals(tenant) -> dict:
    rows = DayTariffTotal.objects.filter(tenant=tenant).values("day", "disposition").annotate(n=Sum("calls"))
    return {(row["day"].isoformat(), row["disposition"]): row["n"] for row in rows}


def test_the_months_totals_follow_every_change_of_its_calls(tenant, other_tenant):
    calls = [
        call_at(1, "2025-05-31 23:30:00"),  # 21:30 UTC: a May call in Warsaw
        call_at(2, "2025-06-01 00:10:00"),  # still 31 May in UTC: a June call in Warsaw
        call_at(3, "2025-06-01 12:00:00", disposition="BUSY"),
        call_at(4, "2025-06-02 12:00:00", number="708999999"),
    ]
    premium_sync.save_calls(tenant.pk, calls)
    premium_sync.save_calls(other_tenant.pk, calls[:1])

    assert month_totals(tenant, 2025, 5) == {("708123456", "ANSWERED"): (1, 60, Decimal("0.1"))}
    assert month_totals(tenant, 2025, 6) == {
        ("708123456", "ANSWERED"): (1, 60, Decimal("0.1")),
        ("708123456", "BUSY"): (1, 0, Decimal("0.1")),
        ("708999999", "ANSWERED"): (1, 60, Decimal("0.1")),
    }
    assert month_overall(tenant, 2025, 6) == {
        "708123456": (2, 1, 60, Decimal("0.2")),
        "708999999": (1, 1, 60, Decimal("0.1")),
    }
    assert day_totals(tenant) == {
        ("2025-05-31", "ANSWERED"): 1,
        ("2025-06-01", "ANSWERED"): 1,
        ("2025-06-01", "BUSY"): 1,
        ("2025-06-02", "ANSWERED"): 1,
    }

    # The provider corrects call 1: it was in June, and busy. Both months are counted again.
    corrected = [call_at(1, "2025-06-03 08:00:00", disposition="BUSY"), call_at(5, "2025-06-04 09:00:00")]
    saved = premium_sync.save_calls(tenant.pk, [*corrected, *calls[1:]])

    assert (saved.created, saved.updated, saved.unchanged) == (1, 1, 3)
    assert month_totals(tenant, 2025, 5) == month_overall(tenant, 2025, 5) == {}
    assert month_totals(tenant, 2025, 6)[("708123456", "BUSY")] == (2, 0, Decimal("0.2"))
    assert month_overall(tenant, 2025, 6)["708123456"] == (4, 2, 120, Decimal("0.4"))
    assert month_totals(tenant, 2025, 6)[("708123456", "ANSWERED")] == (2, 120, Decimal("0.2"))
    assert ("2025-05-31", "ANSWERED") not in day_totals(tenant)
    assert month_totals(other_tenant, 2025, 5) == {("708123456", "ANSWERED"): (1, 60, Decimal("0.1"))}


def test_a_call_moved_into_a_month_with_nothing_stored_yet_is_updated_not_refused(tenant):
    premium_sync.save_calls(tenant.pk, [call_at(1, "2025-05-10 12:00:00")])

    # June has no calls yet, so the import goes straight into the table; call 1 is already stored.
    saved = premium_sync.save_calls(
        tenant.pk, [call_at(1, "2025-06-03 08:00:00", disposition="BUSY"), call_at(2, "2025-06-04 09:00:00")]
    )

    assert (saved.created, saved.updated, saved.unchanged) == (1, 1, 0)
    assert Call.objects.get(tenant=tenant, call_id=1).disposition == "BUSY"
    assert month_totals(tenant, 2025, 5) == {}
    assert month_totals(tenant, 2025, 6) == {
        ("708123456", "BUSY"): (1, 0, Decimal("0.1")),
        ("708123456", "ANSWERED"): (1, 60, Decimal("0.1")),
    }


def test_a_resync_of_unchanged_calls_writes_neither_calls_nor_totals(tenant):
    calls = [call_at(i, f"2025-06-{1 + i % 28:02d} 12:00:00") for i in range(1, 60)]
    premium_sync.save_calls(tenant.pk, calls)

    with CaptureQueriesContext(connection) as queries:
        saved = premium_sync.save_calls(tenant.pk, calls)

    assert (saved.created, saved.updated, saved.unchanged) == (0, 0, 59)
    assert writes(queries.captured_queries, "premium_") == []


def test_the_copy_upserts_name_every_call_field():
    """The PostgreSQL upsert spells its columns out: they must be the fields the batch upsert writes."""
    for statement in (premium_sync._COUNT_SQL, premium_sync._UPDATE_SQL):
        for field in premium_sync.CALL_FIELDS:
            assert f"stored.{field}" in statement and f"incoming.{field}" in statement, field
    for statement in (premium_sync._INCOMING_SQL, premium_sync._INSERT_SQL, premium_sync._COPY_SQL):
        for field in premium_sync.CALL_FIELDS:
            assert field in statement, field


def test_billing_of_a_past_month_on_demand_and_months_do_not_mix(premium_account, sandbox, tenant):
    year, month = premium_sync.current_month()
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    resource = premium_sync.billing_resource(*previous)

    tasks.sync_billing(tenant.pk, resource)
    tasks.sync_billing(tenant.pk, CURRENT)

    assert Call.objects.filter(tenant=tenant).count() == 2 * sandbox.calls_per_month
    assert status(tenant, resource).last_success_at is not None


@pytest.mark.parametrize("resource", ["billing-2025-13", "billing-soon", "billing-2999-01", "numbers-x"])
def test_a_bad_resource_is_recorded_and_raised(premium_account, tenant, resource):
    task = tasks.sync_numbers if resource.startswith("numbers") else tasks.sync_billing
    with pytest.raises(ValueError, match="not a"):
        task(tenant.pk, resource)
    assert status(tenant, resource).last_error == account_sync.OUR_ERROR  # a sentence, not the exception


# --- Wallet and invoices -------------------------------------------------------------------------


def test_wallet_history_in_zloty_kept_beyond_the_providers_last_50(premium_account, sandbox, tenant):
    tasks.sync_wallet(tenant.pk, "wallet")
    entries = WalletEntry.objects.filter(tenant=tenant)
    first_count = entries.count()
    top_up = entries.filter(credit=True, description="Doładowanie konta").order_by("created_at").first()
    assert top_up.amount == Decimal("500.00")  # the sandbox's 50000 grosze
    assert entries.filter(credit=False).exists()

    tasks.sync_wallet(tenant.pk, "wallet")
    assert entries.count() == first_count

    for amount in range(1, 46):
        sandbox.top_up(amount * 100)
    tasks.sync_wallet(tenant.pk, "wallet")
    # The provider now lists 45 new and only 5 old operations: the older ones stay here all the same.
    assert entries.count() == first_count + 45 > 50


def test_invoices_sync_adds_new_ones_and_updates_their_state(premium_account, sandbox, tenant):
    tasks.sync_invoices(tenant.pk, "invoices")
    invoices = Invoice.objects.filter(tenant=tenant)
    assert invoices.count() == 3
    unpaid = invoices.get(paid=False)

    with CaptureQueriesContext(connection) as queries:
        tasks.sync_invoices(tenant.pk, "invoices")
    assert writes(queries.captured_queries, "premium_invoice") == []

    listed = PremiumClient(DEMO_EMAIL, DEMO_API_KEY, base_url=premium_account.base_url).invoices()
    paid_now = [
        i if i.id != unpaid.provider_id else type(i)(i.id, i.title, i.netto, 1, i.created_at) for i in listed
    ]
    saved = premium_sync.save_invoices(tenant.pk, paid_now)
    assert (saved.created, saved.updated) == (0, 1)
    unpaid.refresh_from_db()
    assert unpaid.paid


# --- Failures ------------------------------------------------------------------------------------


def test_a_failed_sync_keeps_the_old_data_and_records_the_error(premium_account, sandbox, tenant):
    tasks.sync_numbers(tenant.pk, "numbers")
    before = list(PremiumNumber.objects.filter(tenant=tenant).values_list("number", "redirect_to"))
    sandbox.set_fault("/api/prm/voice/showNumbers", "500")

    tasks.sync_numbers(tenant.pk, "numbers")

    assert list(PremiumNumber.objects.filter(tenant=tenant).values_list("number", "redirect_to")) == before
    failed = status(tenant, "numbers")
    assert failed.failing_since is not None and failed.consecutive_failures == 1
    assert "Numery-Premium.PL" in failed.last_error and failed.next_retry_at is not None


def test_a_broken_billing_answer_writes_no_row(premium_account, sandbox, tenant):
    sandbox.set_fault("/api/prm/voice/billing", "truncated", times=3)

    tasks.sync_billing(tenant.pk, CURRENT)

    assert not Call.objects.exists()
    assert "unreadable" in status(tenant, CURRENT).last_error


def test_a_sync_without_credentials_says_so(tenant):
    tasks.sync_numbers(tenant.pk, "numbers")
    assert "no email and API key" in status(tenant, "numbers").last_error


def test_wrong_credentials_are_recorded_not_raised(premium_account, tenant):
    premium_account.api_key = "wrong-key-0000"
    premium_account.save()
    tasks.sync_balance(tenant.pk, "balance")
    assert "Unauthorized" in status(tenant, "balance").last_error
    assert "wrong-key" not in status(tenant, "balance").last_error


def test_a_sync_of_a_resource_already_syncing_is_skipped(premium_account, tenant):
    from accounts.sync import syncing

    with syncing(tenant.pk, "premium", "numbers"):
        tasks.sync_numbers(tenant.pk, "numbers")
    assert not PremiumNumber.objects.exists()


# --- Fan-outs ------------------------------------------------------------------------------------


@pytest.fixture
def sent():
    """The tasks the fan-outs queue, as (task name, args), once their transaction commits."""
    with mock.patch("config.celery.app.send_task") as send_task:
        yield lambda: [(c.args[0], c.kwargs["args"]) for c in send_task.call_args_list]


def test_fan_out_queues_one_sync_per_configured_account_and_never_piles_up(tenant, other_tenant, sent):
    PremiumAccount.objects.create(tenant=tenant, email="a@firma.pl", api_key="key-a-123456789")
    PremiumAccount.objects.create(tenant=other_tenant, email="b@firma.pl", api_key="")
    with mock.patch("django.db.transaction.on_commit", side_effect=lambda f, using=None: f()):
        assert tasks.queue_scheduled_syncs(["numbers", "balance"]) == 2
        assert tasks.queue_scheduled_syncs(["numbers", "balance"]) == 0  # still queued: nothing more
    assert sorted(sent()) == [
        ("premium.tasks.sync_balance", [tenant.pk, "balance"]),
        ("premium.tasks.sync_numbers", [tenant.pk, "numbers"]),
    ]


def test_billing_fan_out_takes_the_current_month_and_on_the_first_day_the_previous_too(tenant):
    with mock.patch("django.utils.timezone.now", return_value=datetime(2025, 6, 14, 12, tzinfo=UTC)):
        assert tasks.billing_months_due() == ["billing-2025-06"]
    with mock.patch("django.utils.timezone.now", return_value=datetime(2025, 12, 31, 23, 30, tzinfo=UTC)):
        assert tasks.billing_months_due() == [
            "billing-2026-01",
            "billing-2025-12",
        ]  # already 1 January in Warsaw


def test_beat_schedule_entries_name_registered_tasks(settings):
    from config.celery import app
    from premium.schedules import BEAT_SCHEDULE

    app.loader.import_default_modules()
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert settings.CELERY_BEAT_SCHEDULE[name] == entry
    schedules = sorted(entry["schedule"] for entry in BEAT_SCHEDULE.values())
    assert schedules == [900.0, 3600.0, 86400.0, 86400.0]  # the last: old full statements deleted


@pytest.mark.worker
def test_syncs_queued_by_the_fan_out_run_on_a_real_worker(real_worker, tenant, sandbox, sandbox_url):
    PremiumAccount.objects.create(tenant=tenant, email=DEMO_EMAIL, api_key=DEMO_API_KEY, base_url=sandbox_url)

    # The fan-out runs here: the syncs it queues go to this test's queue, which the worker consumes.
    assert tasks.queue_scheduled_syncs(["numbers", "balance"]) == 2

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        PremiumNumber.objects.filter(tenant=tenant).count() == 8
        and PremiumAccount.objects.filter(tenant=tenant, balance_net__isnull=False).exists()
    ):
        time.sleep(0.2)
    log = real_worker.log_path.read_text()
    assert PremiumNumber.objects.filter(tenant=tenant).count() == 8, log[-3000:]
    assert status(tenant, "numbers").last_success_at is not None
    assert DEMO_API_KEY not in log


@pytest.mark.django_db(transaction=True)
def test_the_migration_adds_up_the_states_of_the_totals_already_kept(tenant):
    before, after = [("premium", "0003_used_purchase_token")], [("premium", "0004_month_number_overall")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_total = executor.loader.project_state(before).apps.get_model("premium", "MonthNumberTotal")
        month = {"tenant_id": tenant.pk, "year": 2025, "month": 6}
        for number, disposition, calls, billed in [
            ("708123456", "ANSWERED", 3, 180),
            ("708123456", "BUSY", 2, 0),
            ("708999999", "NO ANSWER", 1, 0),
        ]:
            old_total.objects.create(
                **month,
                number=number,
                disposition=disposition,
                calls=calls,
                billed_seconds=billed,
                cost=Decimal(calls),
            )

        executor = MigrationExecutor(connection)
        executor.migrate(after)

        assert month_overall(tenant, 2025, 6) == {
            "708123456": (5, 3, 180, Decimal(5)),
            "708999999": (1, 0, 0, Decimal(1)),
        }
    finally:
        # Back to the latest schema, which the tests after this one need.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
