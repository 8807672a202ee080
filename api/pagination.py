"""Pages by cursor: `?cursor=` is the `next_cursor` of the page before; `limit` rows a page."""

from __future__ import annotations

import base64

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.pagination import KeysetPage, keyset_page
from api.problems import invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _bad_cursor():
    return invalid("cursor", _("Use the next_cursor of the page before, unchanged."), location="query")


def newest_first(
    queryset: QuerySet, cursor: str | None, *, fields: tuple[str, ...], limit: int
) -> KeysetPage:
    """A page in descending order of `fields` (the last one unique), as the pages list them."""
    page = keyset_page(queryset, cursor, fields=fields, per_page=limit)
    if cursor and page.is_first:
        raise _bad_cursor()  # keyset_page starts again at the top for a cursor it did not make
    return page


def in_order_of(queryset: QuerySet, cursor: str | None, *, field: str, limit: int) -> tuple[list, str | None]:
    """A page in ascending order of one unique text field (e.g. premium numbers by number)."""
    if cursor:
        try:
            after = base64.b64decode(
                cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True
            ).decode()
        except ValueError:
            raise _bad_cursor() from None
        if not after:
            raise _bad_cursor()
        queryset = queryset.filter(**{f"{field}__gt": after})
    rows = list(queryset.order_by(field)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = getattr(rows[limit - 1], field)
    return rows[:limit], base64.urlsafe_b64encode(last.encode()).decode().rstrip("=")
