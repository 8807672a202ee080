"""Hand-written SQL reads the same on PostgreSQL and on SQLite (the start command's default)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Tenant
from providers.sql import as_day, as_decimal, one_of, select

pytestmark = pytest.mark.django_db

SLUGS_SQL = "SELECT slug FROM accounts_tenant WHERE {condition} ORDER BY slug"


@pytest.mark.parametrize(
    ("wanted", "found"),
    [
        (["b", "d"], ["b", "d"]),
        (["c"], ["c"]),
        (["a", "missing", "a"], ["a"]),
        (["missing"], []),
    ],
)
def test_one_of_selects_exactly_the_rows_of_the_values(wanted, found):
    for slug in "abcd":
        Tenant.objects.create(name=slug.upper(), slug=slug)
    condition, params = one_of("slug", wanted)
    rows = select(SLUGS_SQL.format(condition=condition), params, [None])
    assert [slug for (slug,) in rows] == found


def test_days_and_sums_read_as_postgresql_gives_them():
    assert as_day("2026-12-06") == date(2026, 12, 6) == as_day(date(2026, 12, 6))
    assert as_decimal(0.1 + 0.2) == Decimal("0.3000")
    assert as_decimal(Decimal("12.5")) == Decimal("12.5000")
