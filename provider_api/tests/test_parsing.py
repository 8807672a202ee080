"""Tests of provider_api.parsing: every function, with examples and hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from provider_api.parsing import (
    WARSAW,
    ParseError,
    normalise_polish_number,
    optional,
    parse_decimal,
    parse_local_datetime,
    parse_utc_datetime,
)


def test_parse_error_is_a_value_error():
    assert issubclass(ParseError, ValueError)


# --- parse_decimal ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3.46", Decimal("3.46")),
        ("123,45", Decimal("123.45")),
        ("-12,00", Decimal("-12.00")),
        (" 7 ", Decimal("7")),
        ("1 234,50", Decimal("1234.50")),
        ("1\u00a0234,50", Decimal("1234.50")),
        ("0", Decimal("0")),
        (1.92, Decimal("1.92")),
        (0.1, Decimal("0.1")),
        (20, Decimal("20")),
        (-5, Decimal("-5")),
        (Decimal("5.50"), Decimal("5.50")),
        (10**30, Decimal(10**30)),
    ],
)
def test_parse_decimal_reads_the_forms_providers_send(value, expected):
    result = parse_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected


def test_parse_decimal_keeps_the_written_precision():
    assert str(parse_decimal("3.40")) == "3.40"
    assert str(parse_decimal(1.5)) == "1.5"


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        "",
        "   ",
        "abc",
        "12zł",
        "1,234.56",
        "NaN",
        "-Infinity",
        "inf",
        float("nan"),
        float("inf"),
        float("-inf"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        [1],
        {"amount": 1},
    ],
)
def test_parse_decimal_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(ParseError, match="not a number"):
        parse_decimal(value)


ANYTHING = st.one_of(
    st.text(),
    st.text(alphabet="0123456789,.-+ eE\u00a0"),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@given(ANYTHING)
def test_parse_decimal_returns_a_finite_decimal_or_raises_parse_error(value):
    try:
        result = parse_decimal(value)
    except ParseError:
        return
    assert isinstance(result, Decimal)
    assert result.is_finite()


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_parse_decimal_reads_back_a_decimal_written_with_a_dot_or_a_comma(number):
    assert parse_decimal(str(number)) == number
    assert parse_decimal(str(number).replace(".", ",")) == number


@given(st.integers())
def test_parse_decimal_of_an_integer_is_exact(number):
    assert parse_decimal(number) == number
    assert parse_decimal(str(number)) == number


# --- optional -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "-", " - ", "   "])
def test_optional_reads_the_providers_no_value_marks_as_none(value):
    assert optional(value) is None


@pytest.mark.parametrize("value", ["0", "x", "--", "-1", 0, False, 12, [], Decimal("0")])
def test_optional_passes_everything_else_through_unchanged(value):
    assert optional(value) is value


# --- parse_local_datetime -----------------------------------------------------------------------------


def test_parse_local_datetime_is_warsaw_time_by_default():
    result = parse_local_datetime("2021-06-25 21:47:47")

    assert result == datetime(2021, 6, 25, 21, 47, 47, tzinfo=WARSAW)
    assert result.utcoffset() == timedelta(hours=2)  # summer time
    assert result.astimezone(UTC) == datetime(2021, 6, 25, 19, 47, 47, tzinfo=UTC)


def test_parse_local_datetime_in_winter_is_one_hour_ahead_of_utc():
    assert parse_local_datetime("2021-01-10 08:00:00").utcoffset() == timedelta(hours=1)


def test_parse_local_datetime_with_another_zone_and_surrounding_spaces():
    tz = ZoneInfo("America/New_York")
    result = parse_local_datetime(" 2021-06-25 21:47:47 ", tz)
    assert result == datetime(2021, 6, 25, 21, 47, 47, tzinfo=tz)
    assert result.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2021-06-25",
        "2021-06-25T21:47:47",
        "2021-13-01 00:00:00",
        "2021-02-30 10:00:00",
        "wczoraj",
        None,
        5,
    ],
)
def test_parse_local_datetime_refuses_other_forms(value):
    with pytest.raises(ParseError, match="not a date and time"):
        parse_local_datetime(value)


@given(st.text())
def test_parse_local_datetime_returns_an_aware_time_or_raises_parse_error(value):
    try:
        result = parse_local_datetime(value)
    except ParseError:
        return
    assert result.tzinfo is WARSAW


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_parse_local_datetime_reads_back_what_strftime_writes(moment):
    moment = moment.replace(microsecond=0)
    assert parse_local_datetime(moment.strftime("%Y-%m-%d %H:%M:%S")) == moment.replace(tzinfo=WARSAW)


# --- parse_utc_datetime -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-06-05T12:41:40.000000Z", datetime(2021, 6, 5, 12, 41, 40, tzinfo=UTC)),
        ("2021-06-05T12:41:40Z", datetime(2021, 6, 5, 12, 41, 40, tzinfo=UTC)),
        ("2021-06-05T14:41:40+02:00", datetime(2021, 6, 5, 12, 41, 40, tzinfo=UTC)),
        ("2021-06-05T12:41:40", datetime(2021, 6, 5, 12, 41, 40, tzinfo=UTC)),
        (" 2021-06-05 12:41:40.5Z ", datetime(2021, 6, 5, 12, 41, 40, 500000, tzinfo=UTC)),
    ],
)
def test_parse_utc_datetime_gives_aware_utc(value, expected):
    result = parse_utc_datetime(value)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Z",
        "05.06.2021 12:41",
        "2021-06-05T25:00:00Z",
        "jutro",
        None,
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
    ],
)
def test_parse_utc_datetime_refuses_what_is_not_an_iso_time(value):
    with pytest.raises(ParseError, match="not an ISO date and time"):
        parse_utc_datetime(value)


@given(st.text())
def test_parse_utc_datetime_returns_utc_or_raises_parse_error(value):
    try:
        result = parse_utc_datetime(value)
    except ParseError:
        return
    assert result.tzinfo is UTC


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()))
def test_parse_utc_datetime_reads_back_any_isoformat(moment):
    result = parse_utc_datetime(moment.isoformat())
    # Compared in UTC: an aware time in a repeated hour never equals one from another zone (PEP 495).
    assert result == moment.astimezone(UTC)
    assert result.tzinfo is UTC


# --- normalise_polish_number --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "601123456",
        "+48 601 123 456",
        "+48601123456",
        "0048601123456",
        "0048 601 123 456",
        "48601123456",
        "601-123-456",
        "(601) 123 456",
        "601.123.456",
        "601/123/456",
        " 601\u00a0123\u00a0456\n",
        "+48 (601) 123-456",
    ],
)
def test_normalise_polish_number_reads_what_people_type(value):
    assert normalise_polish_number(value) == "601123456"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "60112345",
        "6011234567",
        "+49601123456",
        "+4860112345",
        "004860112345",
        "48 60112345",
        "601 123 45x",
        "tel. 601123456",
        "٦٠١١٢٣٤٥٦",  # Arabic-Indic digits: digits, but not the ASCII ones the providers want
        "６０１１２３４５６",  # full-width digits
        "+48+48601123456",
    ],
)
def test_normalise_polish_number_refuses_what_is_not_a_polish_number(value):
    with pytest.raises(ParseError, match="9 digits"):
        normalise_polish_number(value)


@given(st.text())
def test_normalise_polish_number_returns_nine_ascii_digits_or_raises_parse_error(value):
    try:
        result = normalise_polish_number(value)
    except ParseError:
        return
    assert len(result) == 9
    assert all(char in "0123456789" for char in result)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
@example("004800000")  # nine digits that begin like the 0048 prefix (found by Hypothesis in CI)
@example("480000000")
def test_normalise_polish_number_is_the_identity_on_nine_digits_and_strips_the_prefixes(digits):
    assert normalise_polish_number(digits) == digits
    assert normalise_polish_number(f"+48{digits}") == digits
    assert normalise_polish_number(f"0048 {digits[:3]} {digits[3:6]} {digits[6:]}") == digits
    assert normalise_polish_number(f"48{digits}") == digits


@given(st.text(alphabet="0123456789 -+()./", max_size=20))
def test_normalise_polish_number_never_raises_anything_but_parse_error_on_number_like_text(value):
    try:
        result = normalise_polish_number(value)
    except ParseError:
        return
    assert result.isascii() and result.isdigit() and len(result) == 9
