"""Money and numbers as people read them, in the active language: `1 234,56 zł` in Polish.

One place for pages, PDFs and the CSV exports meant for people.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

NBSP = "\N{NO-BREAK SPACE}"
EMPTY = "—"


def amount(value: Decimal | float | int | None, places: int = 2) -> str:
    """`1 234,56`: grouped thousands and the language's decimal separator; "—" for nothing."""
    if value is None or value == "":
        return EMPTY
    # Django's Polish thousands separator is a plain space: keep the figure on one line.
    return number_format(value, places, use_l10n=True, force_grouping=True).replace(" ", NBSP)


def money(value: Decimal | float | int | None) -> str:
    """`1 234,56 zł`."""
    return EMPTY if value is None or value == "" else f"{amount(value)}{NBSP}zł"


def whole(value: int | None) -> str:
    """`12 345`."""
    return amount(value, 0)


def phone(value: str | None) -> str:
    """A Polish number in groups of three, as people write it: `708 123 456`; anything else as it is."""
    if not value:
        return EMPTY
    text = str(value)
    if len(text) == 9 and text.isascii() and text.isdigit():
        return NBSP.join((text[:3], text[3:6], text[6:]))
    return text
