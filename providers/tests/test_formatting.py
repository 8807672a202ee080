"""providers.formatting.amount shows every figure exactly as Django's number_format did (it is made faster
by hand): the same digits cut off, the same sign, grouping and separators, in both languages."""

from __future__ import annotations

from decimal import Decimal
from html import escape

import pytest
from django.utils import translation
from django.utils.formats import number_format
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.formatting import NBSP, amount, money, phone, phone_html, whole

EXAMPLES = settings(max_examples=400, deadline=None, derandomize=True, database=None)
LANGUAGES = ("pl", "en")
PLACES = st.integers(min_value=0, max_value=4)


def django_amount(value: object, places: int) -> str:
    return number_format(value, places, use_l10n=True, force_grouping=True).replace(" ", NBSP)


def same_in_every_language(value: object, places: int) -> None:
    for language in LANGUAGES:
        with translation.override(language):
            assert amount(value, places) == django_amount(value, places), (language, value, places)


@EXAMPLES
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None), PLACES)
def test_decimals(value: Decimal, places: int) -> None:
    same_in_every_language(value, places)


@EXAMPLES
@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=-8, max_value=3), PLACES)
def test_decimals_of_money_and_minutes(digits: int, exponent: int, places: int) -> None:
    """Figures as the pages have them: up to 15 digits with 0-8 places, or a few zeros after."""
    same_in_every_language(Decimal(digits).scaleb(exponent), places)


@EXAMPLES
@given(st.integers(), PLACES)
def test_whole_numbers(value: int, places: int) -> None:
    same_in_every_language(value, places)


@EXAMPLES
@given(st.floats(allow_nan=False, allow_infinity=False), PLACES)
def test_floats(value: float, places: int) -> None:
    same_in_every_language(value, places)


@pytest.mark.parametrize(
    "value",
    [
        Decimal("-0.5"),  # shown as "-0" with no places, as Django does
        Decimal("-0.05"),  # too small to show: 0, no sign
        Decimal("-0"),
        Decimal("0E-12"),
        Decimal("1E+5"),
        Decimal("1E+250"),  # over 200 digits: Django's scientific notation
        Decimal("1E-250"),
        Decimal("-1234567.899"),
        Decimal("999.999"),  # cut off, not rounded
        0,
        -7,
        True,
    ],
)
@pytest.mark.parametrize("places", [0, 1, 2])
def test_edges(value: object, places: int) -> None:
    same_in_every_language(value, places)


def test_money_and_whole_read_as_people_write_them() -> None:
    with translation.override("pl"):
        assert money(Decimal("1234.5")) == f"1{NBSP}234,50{NBSP}zł"
        assert whole(1234567) == f"1{NBSP}234{NBSP}567"
        assert money(None) == whole(None) == "—"
    with translation.override("en"):
        assert money(Decimal("-1234.567")) == f"-1,234.56{NBSP}zł"


@given(st.one_of(st.none(), st.text(max_size=12), st.from_regex(r"\A[0-9]{9}\Z")))
@EXAMPLES
def test_a_number_for_html_is_the_escaped_phone_text(value):
    """phone_html leaves a Polish number's digits unescaped, as they need nothing: it is escape(phone())."""
    assert phone_html(value) == escape(phone(value))
