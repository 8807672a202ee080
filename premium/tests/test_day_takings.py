"""What callers paid per day, kept per day, call state and tariff: it follows the numbers' prices and
tariffs, the SQLite way counts what PostgreSQL counts, and the migration counts the totals already kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from premium import billing, services, tasks, totals
from premium import client as api
from premium import sync as premium_sync
from premium.billing import BillingQuery
from premium.models import DayTariffTotal, PremiumNumber, Repricing
from provider_api.parsing import parse_local_datetime

pytestmark = pytest.mark.django_db

JUNE = (date(2025, 6, 1), date(2025, 6, 30))


def listed(number: str, tariff: int, netto: str) -> api.PremiumNumber:
    return api.PremiumNumber(number, tariff, Decimal(netto), Decimal(23), "", None)


def call_at(call_id: int, local: str, number: str, billed: int, disposition: str = "ANSWERED") -> api.Call:
    start = parse_local_datetime(local)
    return api.Call(
        call_id, "601000001", number, start, start, start, billed, billed, disposition, Decimal("0.10"), ""
    )


CALLS = [
    call_at(1, "2025-06-01 10:00:00", "708123456", 90),
    call_at(2, "2025-06-01 11:00:00", "708123456", 30),
    call_at(3, "2025-06-01 12:00:00", "708123456", 0, disposition="BUSY"),
    call_at(4, "2025-06-01 13:00:00", "707999999", 60),
    call_at(5, "2025-06-02 09:00:00", "700000001", 60),  # a number not on the account
]


def paid_per_day(tenant) -> dict[str, Decimal | None]:
    return {row["day"].isoformat(): row["paid"] for row in billing.day_takings(tenant, *JUNE)}


def kept(tenant) -> list[tuple]:
    rows = DayTariffTotal.objects.filter(tenant=tenant).order_by("day", "disposition", "tariff")
    return list(rows.values_list("day", "disposition", "tariff", "calls", "billed_seconds", "cost", "paid"))


def test_what_callers_paid_per_day_follows_each_numbers_price_and_tariff(tenant, other_tenant):
    premium_sync.save_numbers(tenant.pk, [listed("708123456", 8, "4.00"), listed("707999999", 7, "2.00")])
    premium_sync.save_calls(tenant.pk, CALLS)
    premium_sync.save_calls(other_tenant.pk, CALLS)  # the same calls, on an account with no numbers

    # 2 minutes at 4 zł and a minute at 2 zł; the day of a number not on the account is not known.
    assert paid_per_day(tenant) == {"2025-06-01": Decimal("10.00"), "2025-06-02": None}
    assert paid_per_day(other_tenant) == {"2025-06-01": None, "2025-06-02": None}
    june = BillingQuery(2025, 6)
    summary = billing.summarise(june, tenant, shares={7: Decimal(50), 8: Decimal(25)})
    assert (summary.calls, summary.answered, summary.paid, summary.earning) == (
        5,
        4,
        Decimal("10.00"),
        Decimal("3.00"),  # a quarter of 8 zł and half of 2 zł
    )

    # The provider's price list changes: the next numbers sync reprices the days, reading no call.
    premium_sync.save_numbers(tenant.pk, [listed("708123456", 7, "5.00"), listed("707999999", 7, "2.00")])
    assert paid_per_day(tenant) == {"2025-06-01": Decimal("12.00"), "2025-06-02": None}
    summary = billing.summarise(june, tenant, shares={7: Decimal(50), 8: Decimal(25)})
    assert (summary.paid, summary.earning) == (Decimal("12.00"), Decimal("6.00"))

    # A number dropped from the account keeps its calls, not its price; one added gets its price.
    premium_sync.save_numbers(tenant.pk, [listed("708123456", 7, "5.00"), listed("700000001", 4, "1.50")])
    assert paid_per_day(tenant) == {"2025-06-01": Decimal("10.00"), "2025-06-02": Decimal("1.50")}
    assert paid_per_day(other_tenant) == {"2025-06-01": None, "2025-06-02": None}
    assert billing.summarise(june, tenant).calls == 5

    # The repriced days are what counting every day again makes.
    repriced = kept(tenant)
    totals.reprice(tenant.pk)
    assert kept(tenant) == repriced


def test_a_number_deleted_here_keeps_its_calls_not_its_price(premium_account, tenant, tenant_admin):
    premium_sync.sync_numbers(premium_account)
    number = PremiumNumber.objects.filter(tenant=tenant).order_by("number").first()
    premium_sync.save_calls(tenant.pk, [call_at(1, "2025-06-01 10:00:00", number.number, 60)])
    assert paid_per_day(tenant) == {"2025-06-01": number.price_net}

    services.delete_number(premium_account, tenant_admin, number)
    tasks.reprice_totals(Repricing.objects.get(tenant=tenant).pk)  # as the worker does (test_repricing.py)

    assert paid_per_day(tenant) == {"2025-06-01": None}
    assert billing.day_takings(tenant, *JUNE)[0]["n_calls"] == 1


def test_the_sqlite_way_counts_what_the_database_counts(tenant, monkeypatch):
    premium_sync.save_numbers(tenant.pk, [listed("708123456", 8, "4.37"), listed("707999999", 7, "2.00")])
    premium_sync.save_calls(tenant.pk, CALLS)
    in_the_database = kept(tenant)
    first_day = {
        tariff: paid
        for day, state, tariff, *_, paid in in_the_database
        if day.day == 1 and state == "ANSWERED"
    }
    assert len(in_the_database) == 4 and first_day == {7: Decimal("2.00"), 8: Decimal("8.74")}

    monkeypatch.setattr(totals, "connection", SimpleNamespace(vendor="sqlite"))
    totals.rebuild(tenant.pk, [(2025, 6)])

    assert kept(tenant) == in_the_database


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_days_already_kept(tenant):
    before, after = [("premium", "0009_day_number_totals")], [("premium", "0010_day_tariff_totals")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        number = old.get_model("premium", "PremiumNumber")
        number.objects.create(tenant_id=tenant.pk, number="708123456", tariff=8, price_net=Decimal("4.00"))
        number.objects.create(tenant_id=tenant.pk, number="707999999", tariff=8, price_net=None)
        day = old.get_model("premium", "DayNumberTotal")
        for number_, disposition, calls, billed in [
            ("708123456", "ANSWERED", 3, 70),  # 4.67 zł
            ("708123456", "BUSY", 2, 0),
            ("707999999", "ANSWERED", 1, 60),  # no price known
            ("700000001", "ANSWERED", 1, 60),  # not on the account
        ]:
            day.objects.create(
                tenant_id=tenant.pk,
                day=date(2025, 6, 1),
                number=number_,
                disposition=disposition,
                calls=calls,
                billed_seconds=billed,
                cost=Decimal(calls),
            )

        executor = MigrationExecutor(connection)
        executor.migrate(after)

        june_1 = date(2025, 6, 1)
        assert kept(tenant) == [
            (june_1, "ANSWERED", 8, 4, 130, Decimal(4), Decimal("4.67")),
            (june_1, "ANSWERED", None, 1, 60, Decimal(1), None),
            (june_1, "BUSY", 8, 2, 0, Decimal(2), Decimal("0.00")),
        ]
    finally:
        # Back to the latest schema, which the tests after this one need.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
