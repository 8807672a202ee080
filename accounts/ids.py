"""Reading row ids from a request: what a query may safely be given.

A value that is not a plain ASCII number ("²" passes str.isdigit() but not int()), or a number beyond
the largest id a row can have, is no id: compared with an integer column in an `__in` or foreign-key
lookup it would raise (OverflowError on SQLite) instead of matching nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

MAX_ROW_ID = 2**63 - 1  # a BigAutoField's largest value


def row_id(value: object) -> int | None:
    """The id that `value` names, or None when it names no possible row."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    number = int(text)
    return number if number <= MAX_ROW_ID else None


def row_ids(values: Iterable[object]) -> list[int]:
    """The values that name possible rows, in order; the others are dropped."""
    return [number for number in map(row_id, values) if number is not None]


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose values are row ids: one that names no possible row is a form
    error, never a database error."""

    def clean(self, value):
        for item in value if isinstance(value, list | tuple) else ():
            if row_id(item) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(item)[:20]},
                )
        return super().clean(value)
