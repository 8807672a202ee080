"""Money and numbers as people read them, in the active language: `1 234,56 zł` in Polish.

One place for pages, PDFs and the CSV exports meant for people.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from html import escape

from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import get_language

NBSP = "\N{NO-BREAK SPACE}"
EMPTY = "—"
# Longer than this, a Decimal's digits go through Django's own code, which shows a number of more than 200
# digits and places in scientific notation (a plain text of at most 100 characters is always below that).
PLAIN_LENGTH = 100


@lru_cache(maxsize=16)
def _cutoff(places: int) -> Decimal:
    """Django's: a Decimal smaller than this shows as 0 (0.1 for no places, as in Django)."""
    return Decimal("0." + "1".rjust(places, "0"))


class Figures:
    """amount(), money() and whole() in one language, its separators looked up once.

    As Django's number_format(value, places, force_grouping=True) shows a figure (digits past `places` cut
    off, not rounded), made here in a few string operations: a page of calls shows some 500 figures, and
    number_format took 16 µs each. Floats and unusual values go through Django's own code.
    """

    def __init__(self, language: str | None) -> None:
        self.language = language
        self.grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
        thousands = get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
        self.decimal_separator = get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
        # Django's Polish thousands separator is a no-break space already; a plain one would wrap the figure.
        self.thousands = thousands.replace(" ", NBSP)
        self.separators = str.maketrans({",": self.thousands, ".": self.decimal_separator})

    def amount(self, value: Decimal | float | int | None, places: int = 2) -> str:
        """`1 234,56`: grouped thousands and the language's decimal separator; "—" for nothing."""
        if value is None or value == "":
            return EMPTY
        kind = type(value)
        if kind is int and self.grouping == 3:
            text = f"{value:,}"
            if places:
                text += "." + "0" * places
        elif kind is Decimal and self.grouping == 3 and value.is_finite():
            if abs(value) < _cutoff(places):  # as Django: too small to show is 0
                value = Decimal(0)
            plain = f"{value:f}"
            if len(plain) > PLAIN_LENGTH:
                return self._django_amount(value, places)
            whole_part, _, fraction = plain.partition(".")
            # Grouped by the int's own format; "-0" stays (Django shows -0.5 with no places as "-0").
            text = f"{int(whole_part):,}" if whole_part not in ("0", "-0") else whole_part
            if places:
                text += "." + fraction[:places].ljust(places, "0")
        else:
            return self._django_amount(value, places)
        return text.translate(self.separators)

    def money(self, value: Decimal | float | int | None) -> str:
        """`1 234,56 zł`."""
        return EMPTY if value is None or value == "" else f"{self.amount(value)}{NBSP}zł"

    def whole(self, value: int | None) -> str:
        """`12 345`."""
        return self.amount(value, 0)

    def _django_amount(self, value: Decimal | float | int, places: int) -> str:
        text = numberformat.format(
            value, self.decimal_separator, places, self.grouping, self.thousands, force_grouping=True
        )
        return text.replace(" ", NBSP)


@lru_cache(maxsize=16)
def _figures(language: str | None) -> Figures:
    return Figures(language)


def figures() -> Figures:
    """The active language's Figures: for code that formats many (looking the language up takes a third of
    formatting a figure)."""
    return _figures(get_language())


def amount(value: Decimal | float | int | None, places: int = 2) -> str:
    """`1 234,56` in the active language (Figures.amount)."""
    return figures().amount(value, places)


def money(value: Decimal | float | int | None) -> str:
    """`1 234,56 zł`."""
    return figures().money(value)


def whole(value: int | None) -> str:
    """`12 345`."""
    return figures().amount(value, 0)


def phone(value: str | None) -> str:
    """A Polish number in groups of three, as people write it: `708 123 456`; anything else as it is."""
    if not value:
        return EMPTY
    text = str(value)
    if len(text) == 9 and text.isascii() and text.isdigit():
        return NBSP.join((text[:3], text[3:6], text[6:]))
    return text


def phone_html(value: str | None) -> str:
    """phone() escaped for HTML, for rows joined in Python: a Polish number's digits need no escaping
    (a page of calls shows 150 numbers)."""
    if value and len(value) == 9 and value.isascii() and value.isdigit():
        return NBSP.join((value[:3], value[3:6], value[6:]))
    return escape(phone(value))
