"""Keyset ("seek") pagination: the cost of a page does not grow with the table or the page number.

Pages are walked from the newest row; the cursor is the sort key of the last row shown.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_cursor: str | None
    is_first: bool


class _CursorEncoder(DjangoJSONEncoder):
    """Times to the microsecond: DjangoJSONEncoder cuts them to milliseconds, and a cursor that is
    earlier than its row skipped the rows of the same millisecond after it."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def _encode(values: list[Any]) -> str:
    raw = json.dumps(values, cls=_CursorEncoder).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, queryset: QuerySet, fields: tuple[str, ...]) -> list[Any] | None:
    """The cursor's values converted to the fields' types; None for a cursor we did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != len(fields):
        return None
    try:
        decoded = [
            queryset.model._meta.get_field(name).to_python(value)
            for name, value in zip(fields, values, strict=True)
        ]
    except (ValidationError, TypeError, ValueError):  # e.g. a number where a time belongs
        return None
    return None if any(value is None for value in decoded) else decoded


def keyset_page(
    queryset: QuerySet,
    cursor: str | None,
    *,
    fields: tuple[str, ...] = ("created_at", "id"),
    per_page: int = 50,
) -> KeysetPage:
    """One page of `queryset` in descending order of `fields` (the last field must be unique)."""
    ordered = queryset.order_by(*(f"-{name}" for name in fields))
    values = _decode(cursor, queryset, fields) if cursor else None
    if values is not None:
        # (a, b) < (x, y) written out, so that any database uses the (a, b) index. The leading a <= x
        # follows from it, but only as a condition of its own does it start the index scan at the
        # cursor: without it PostgreSQL walks (and discards) every newer row, so deep pages got slower.
        condition = Q()
        for i, name in enumerate(fields):
            step = Q(**{f"{name}__lt": values[i]})
            for prior, prior_value in zip(fields[:i], values[:i], strict=True):
                step &= Q(**{prior: prior_value})
            condition |= step
        ordered = ordered.filter(Q(**{f"{fields[0]}__lte": values[0]}), condition)
    items = list(ordered[: per_page + 1])
    has_more = len(items) > per_page
    items = items[:per_page]
    next_cursor = _encode([getattr(items[-1], name) for name in fields]) if has_more else None
    return KeysetPage(items=items, next_cursor=next_cursor, is_first=values is None)
