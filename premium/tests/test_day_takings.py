"""What callers paid per day, kept per day and number and per day, call state and tariff: it follows the
numbers' prices and tariffs, a repricing recounts only the days it changed, the billing's numbers read it,
the SQLite way counts what PostgreSQL counts, and the migrations count the totals already kept."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F, Value

from premium import billing, services, tasks, totals
from premium import client as api
from premium import sync as premium_sync
from premium.billing import BillingQuery
from premium.models import (
    DayNumberTotal,
    DayTariffTotal,
    MonthNumberOverall,
    MonthNumberTotal,
    PremiumNumber,
    Repricing,
)
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
    rows = DayTariffTotal.objects.filter(tenant=tenant).order_by(
        "day", "disposition", F("tariff").asc(nulls_last=True)
    )
    return list(rows.values_list("day", "disposition", "tariff", "calls", "billed_seconds", "cost", "paid"))


def priced(tenant) -> list[tuple]:
    rows = DayNumberTotal.objects.filter(tenant=tenant).order_by("day", "number", "disposition")
    return list(rows.values_list("day", "number", "disposition", "tariff", "paid"))


def tariff_row_ids(tenant) -> dict[date, set[int]]:
    ids: dict[date, set[int]] = {}
    for day, pk in DayTariffTotal.objects.filter(tenant=tenant).values_list("day", "pk"):
        ids.setdefault(day, set()).add(pk)
    return ids


def test_a_numbers_day_keeps_what_its_callers_paid_and_a_repricing_recounts_only_the_days_it_changed(
    tenant, other_tenant
):
    premium_sync.save_numbers(tenant.pk, [listed("708123456", 8, "4.37"), listed("707999999", 7, "2.00")])
    premium_sync.save_numbers(other_tenant.pk, [listed("708123456", 9, "9.00")])
    premium_sync.save_calls(tenant.pk, CALLS)
    june_1, june_2 = date(2025, 6, 1), date(2025, 6, 2)
    assert priced(tenant) == [
        (june_1, "707999999", "ANSWERED", 7, Decimal("2.00")),
        (june_1, "708123456", "ANSWERED", 8, Decimal("8.74")),  # 2 minutes at 4.37 zł
        (june_1, "708123456", "BUSY", 8, Decimal("0.00")),
        (june_2, "700000001", "ANSWERED", None, None),  # not on the account
    ]

    # Nothing changed: no day is recounted.
    before = tariff_row_ids(tenant)
    totals.reprice(tenant.pk)
    assert tariff_row_ids(tenant) == before

    # The number not on the account is added: its day is recounted, the other day's rows are kept.
    premium_sync.save_numbers(
        tenant.pk,
        [listed("708123456", 8, "4.37"), listed("707999999", 7, "2.00"), listed("700000001", 4, "1.50")],
    )
    assert priced(tenant)[-1] == (june_2, "700000001", "ANSWERED", 4, Decimal("1.50"))
    assert [row for row in month_takings(tenant) if row[0] == "700000001"] == [
        ("700000001", "ANSWERED", 4, Decimal("1.50")),
        ("700000001", "", 4, Decimal("1.50")),
    ]
    after = tariff_row_ids(tenant)
    assert after[june_1] == before[june_1] and after[june_2].isdisjoint(before[june_2])
    assert paid_per_day(tenant) == {"2025-06-01": Decimal("10.74"), "2025-06-02": Decimal("1.50")}

    # A new tariff without a new price moves the day's takings to the other tariff.
    premium_sync.save_numbers(
        tenant.pk,
        [listed("708123456", 7, "4.37"), listed("707999999", 7, "2.00"), listed("700000001", 4, "1.50")],
    )
    assert priced(tenant)[1] == (june_1, "708123456", "ANSWERED", 7, Decimal("8.74"))
    assert kept(tenant)[:2] == [
        (june_1, "ANSWERED", 7, 3, 180, Decimal("0.3000"), Decimal("10.74")),
        (june_1, "BUSY", 7, 1, 0, Decimal("0.1000"), Decimal("0.00")),
    ]
    assert DayNumberTotal.objects.filter(tenant=other_tenant).count() == 0


def month_takings(tenant) -> list[tuple]:
    per_state = MonthNumberTotal.objects.filter(tenant=tenant).order_by("number", "disposition")
    overall = MonthNumberOverall.objects.filter(tenant=tenant).order_by("number")
    return [
        *per_state.values_list("number", "disposition", "tariff", "paid"),
        *overall.values_list("number", Value(""), "tariff", "paid"),
    ]


def test_the_billings_numbers_read_their_kept_takings_and_say_when_they_are_recounted(tenant):
    premium_sync.save_numbers(tenant.pk, [listed("708123456", 8, "4.37"), listed("707999999", 7, "2.00")])
    # Half a minute more on a second day: 2.185 zł, rounded half up.
    premium_sync.save_calls(tenant.pk, [*CALLS, call_at(6, "2025-06-03 10:00:00", "708123456", 30)])
    shares = {7: Decimal(50), 8: Decimal(25)}
    assert month_takings(tenant) == [
        ("700000001", "ANSWERED", None, None),
        ("707999999", "ANSWERED", 7, Decimal("2.00")),
        ("708123456", "ANSWERED", 8, Decimal("10.93")),  # the sum of its days: 8.74 + 2.19
        ("708123456", "BUSY", 8, Decimal("0.00")),
        ("700000001", "", None, None),
        ("707999999", "", 7, Decimal("2.00")),
        ("708123456", "", 8, Decimal("10.93")),
    ]

    month = billing.summarise(BillingQuery(2025, 6), tenant, shares=shares)
    # A whole month's number earns its share of the month's takings: a quarter of 10.93 zł.
    assert [(n.number, n.calls, n.paid, n.earning) for n in month.numbers] == [
        ("700000001", 1, None, None),
        ("707999999", 1, Decimal("2.00"), Decimal("1.00")),
        ("708123456", 4, Decimal("10.93"), Decimal("2.73")),
    ]
    busiest = billing.summarise(BillingQuery(2025, 6), tenant, shares=shares, busiest=1)
    assert [(n.number, n.paid, n.earning) for n in busiest.numbers] == [
        ("708123456", Decimal("10.93"), Decimal("2.73"))
    ]
    busy = billing.summarise(BillingQuery(2025, 6, disposition="BUSY"), tenant, shares=shares)
    assert [(n.number, n.paid, n.earning) for n in busy.numbers] == [
        ("708123456", Decimal("0.00"), Decimal("0.00"))
    ]
    # Its days each earn their share, rounded per day: 2.19 (2.185) and 0.55 (0.5475).
    one = billing.summarise(BillingQuery(2025, 6, number="708123456"), tenant, shares=shares)
    assert (one.calls, one.answered, one.paid, one.earning, one.recounting) == (
        4,
        3,
        Decimal("10.93"),
        Decimal("2.74"),
        False,
    )
    assert [(bar.paid, bar.earning) for bar in one.days if bar.calls] == [
        (Decimal("8.74"), Decimal("2.19")),
        (Decimal("2.19"), Decimal("0.55")),
    ]

    totals.reprice_later(tenant.pk, "708123456")
    assert billing.summarise(BillingQuery(2025, 6, number="708123456"), tenant, shares=shares).recounting


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

    numbers_in_the_database = priced(tenant)
    months_in_the_database = month_takings(tenant)
    shares = {7: Decimal(50), 8: Decimal(25)}
    queries = [BillingQuery(2025, 6), BillingQuery(2025, 6, number="708123456", disposition="ANSWERED")]
    summaries = [billing.summarise(query, tenant, shares=shares) for query in queries]

    monkeypatch.setattr(totals, "connection", SimpleNamespace(vendor="sqlite"))
    monkeypatch.setattr(billing, "connection", SimpleNamespace(vendor="sqlite"))
    totals.rebuild(tenant.pk, [(2025, 6)])

    assert kept(tenant) == in_the_database and priced(tenant) == numbers_in_the_database
    assert month_takings(tenant) == months_in_the_database
    assert [billing.summarise(query, tenant, shares=shares) for query in queries] == summaries
    # Repriced the SQLite way: only the changed number's rows, as the database does.
    PremiumNumber.objects.filter(tenant=tenant, number="707999999").update(price_net=Decimal("3.00"))
    totals.reprice(tenant.pk, ["707999999"])
    assert priced(tenant)[0][-1] == Decimal("3.00")
    assert kept(tenant)[0][-1] == Decimal("3.00")  # tariff 7's answered calls of the first day
    assert ("707999999", "", 7, Decimal("3.00")) in month_takings(tenant)


@contextmanager
def migrated_back_to(before: list[tuple[str, str]]):
    """The database's schema as it was at `before` (the block gets its models), and the latest again
    after the block, as the tests after this one need."""
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        yield executor.loader.project_state(before).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_days_already_kept(tenant):
    with migrated_back_to([("premium", "0009_day_number_totals")]) as old:
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

        MigrationExecutor(connection).migrate([("premium", "0010_day_tariff_totals")])

        june_1 = date(2025, 6, 1)
        assert kept(tenant) == [
            (june_1, "ANSWERED", 8, 4, 130, Decimal(4), Decimal("4.67")),
            (june_1, "ANSWERED", None, 1, 60, Decimal(1), None),
            (june_1, "BUSY", 8, 2, 0, Decimal(2), Decimal("0.00")),
        ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_prices_the_days_already_kept(tenant):
    with migrated_back_to([("premium", "0016_busiest_numbers_indexes")]) as old:
        number = old.get_model("premium", "PremiumNumber")
        number.objects.create(tenant_id=tenant.pk, number="708123456", tariff=8, price_net=Decimal("4.00"))
        number.objects.create(tenant_id=tenant.pk, number="707999999", tariff=7, price_net=None)
        day = old.get_model("premium", "DayNumberTotal")
        for number_, disposition, billed in [
            ("708123456", "ANSWERED", 70),  # 4.67 zł
            ("708123456", "BUSY", 0),
            ("707999999", "ANSWERED", 60),  # no price known
            ("700000001", "ANSWERED", 60),  # not on the account
        ]:
            day.objects.create(
                tenant_id=tenant.pk,
                day=date(2025, 6, 1),
                number=number_,
                disposition=disposition,
                calls=1,
                billed_seconds=billed,
                cost=Decimal(1),
            )
        month = {"tenant_id": tenant.pk, "year": 2025, "month": 6, "calls": 1, "billed_seconds": 60}
        per_state = old.get_model("premium", "MonthNumberTotal")
        overall = old.get_model("premium", "MonthNumberOverall")
        for number_ in ("708123456", "707999999", "700000001"):
            per_state.objects.create(**month, number=number_, disposition="ANSWERED", cost=Decimal(1))
            overall.objects.create(**month, number=number_, answered=1, cost=Decimal(1))
        per_state.objects.create(**month, number="708123456", disposition="BUSY", cost=Decimal(1))

        MigrationExecutor(connection).migrate([("premium", "0017_day_number_takings")])

        june_1 = date(2025, 6, 1)
        assert priced(tenant) == [
            (june_1, "700000001", "ANSWERED", None, None),
            (june_1, "707999999", "ANSWERED", 7, None),
            (june_1, "708123456", "ANSWERED", 8, Decimal("4.67")),
            (june_1, "708123456", "BUSY", 8, Decimal("0.00")),
        ]
        assert month_takings(tenant) == [
            ("700000001", "ANSWERED", None, None),
            ("707999999", "ANSWERED", 7, None),
            ("708123456", "ANSWERED", 8, Decimal("4.67")),
            ("708123456", "BUSY", 8, Decimal("0.00")),
            ("700000001", "", None, None),
            ("707999999", "", 7, None),
            ("708123456", "", 8, Decimal("4.67")),
        ]
