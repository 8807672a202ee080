"""What the numbers made: what callers paid and, with the tenant's share per tariff, the estimated earning.

Callers pay the number's net price per minute for the billed time (billing `billsec`), counted here by
the second; the provider reports neither this nor the earning, so both are estimates and say so.
A number's takings are rounded to the grosz per day (half up, as PostgreSQL's round() does), so that a
month is the sum of its days (premium.billing adds them up in SQL).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from accounts.models import Tenant
from premium.models import PremiumAccount, PremiumNumber
from providers.sql import as_decimal, one_of, select

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Price:
    """A number's net price per minute and the tenant's share of it (percent), each None when not known."""

    net_per_minute: Decimal | None
    share: Decimal | None

    def paid(self, billed_seconds: int) -> Decimal | None:
        if self.net_per_minute is None:
            return None
        return (self.net_per_minute * billed_seconds / 60).quantize(CENT, ROUND_HALF_UP)

    def earning(self, billed_seconds: int) -> Decimal | None:
        return share_of(self.paid(billed_seconds), self.share)


UNKNOWN = Price(None, None)


# Read in SQL written here: building the query through the ORM cost the billing page more than running it.
PRICES_SQL = "SELECT number, tariff, price_net FROM {table} WHERE tenant_id = %s AND {numbers}"


def prices(tenant: Tenant, account: PremiumAccount | None, numbers: Collection[str]) -> dict[str, Price]:
    """Those of `numbers` the tenant has -> each one's Price (no share without the account)."""
    if not numbers:
        return {}
    condition, values = one_of("number", list(numbers))
    sql = PRICES_SQL.format(table=PremiumNumber._meta.db_table, numbers=condition)
    rows = select(sql, [tenant.pk, *values], (None, None, as_decimal))
    # One Price per tariff and price, shared by the numbers that have them: a thousand numbers have a few.
    made: dict[tuple[int, Decimal | None], Price] = {}
    for _number, tariff, price in rows:
        if (tariff, price) not in made:
            made[tariff, price] = Price(price, account.earning_share(tariff) if account is not None else None)
    return {number: made[tariff, price] for number, tariff, price in rows}


def every_price(tenant_id: int, shares: dict[int, Decimal] | None = None) -> dict[str, tuple[int, Price]]:
    """Every number of the tenant -> its tariff and Price (with the share of its tariff in `shares`, if any):
    for counting what callers paid through Python (SQLite, a development start)."""
    numbers = PremiumNumber.objects.filter(tenant_id=tenant_id).values_list("number", "tariff", "price_net")
    shares = shares or {}
    return {number: (tariff, Price(price, shares.get(tariff))) for number, tariff, price in numbers}


def shares(account: PremiumAccount | None) -> dict[int, Decimal]:
    """The tenant's share per tariff (percent), for the tariffs it entered one for."""
    if account is None:
        return {}
    entered = {int(tariff): account.earning_share(int(tariff)) for tariff in account.earning_shares}
    return {tariff: share for tariff, share in entered.items() if share is not None}


def share_of(paid: Decimal | None, share: Decimal | None) -> Decimal | None:
    """`share` percent of what callers paid, rounded to the grosz; None when either is not known."""
    if paid is None or share is None:
        return None
    return (paid * share / 100).quantize(CENT, ROUND_HALF_UP)


def total(values: list[Decimal | None]) -> Decimal | None:
    """The sum of the known values; None when none is known."""
    known = [value for value in values if value is not None]
    return sum(known, Decimal(0)) if known else None
