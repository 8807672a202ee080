"""Rows of SQL written by hand (where building a query through the ORM cost a page more than running it),
typed as PostgreSQL gives them on either database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from django.db import connection

Reader = Callable[[object], object]


def select(sql: str, params: Sequence[object], types: Sequence[Reader | None]) -> list[tuple]:
    """The rows of `sql`. SQLite gives days as text and decimals as floats: there each column with a
    reader in `types` (one per column, None for none) is read as PostgreSQL gives it."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return rows
    return [
        tuple(
            value if read is None or value is None else read(value)
            for read, value in zip(types, row, strict=True)
        )
        for row in rows
    ]


def as_day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def as_decimal(value: object) -> Decimal:
    """An amount of money, or a sum of them, to the 1/10,000 of a złoty the tables keep at most."""
    return Decimal(str(value)).quantize(Decimal("0.0001"))


def placeholders(values: Sequence[object]) -> str:
    """`%s, %s, …`: one for each value, for an IN (…) of them."""
    return ", ".join(["%s"] * len(values))


def one_of(column: str, values: Sequence[object]) -> tuple[str, list]:
    """The condition that `column` is one of `values`, and its parameters. On PostgreSQL the values go as
    one array: fifty numbers as fifty parameters took twice as long to send and plan (bench/)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({placeholders(values)})", list(values)
