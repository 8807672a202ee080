"""Parsing of the values providers send: money, times, phone numbers."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


class ParseError(ValueError):
    """A provider value is not in the documented form."""


def load_json(content: bytes | str, **options: object) -> object:
    """`json.loads`, where a body nested too deeply to parse is as unreadable as one that is not JSON.

    Python's parser raises RecursionError for such a body, not ValueError; ParseError is a ValueError.
    """
    try:
        return json.loads(content, **options)
    except RecursionError:
        raise ParseError("JSON nested too deeply") from None


def looks_like_html(body: bytes) -> bool:
    """A web page (a maintenance or gateway error page) rather than an API answer."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    return head.startswith((b"<!doctype html", b"<html"))


def parse_decimal(value: object) -> Decimal:
    """ "3.46", "123,45", "-12,00", 1.92 and 20 all become a Decimal."""
    if isinstance(value, bool) or value is None:
        raise ParseError(f"not a number: {value!r}")
    if isinstance(value, (int, Decimal)):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(str(value))
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ParseError(f"not a number: {value!r}") from None
    # json.loads accepts NaN and Infinity, so floats and Decimals need the check as much as text.
    if not result.is_finite():
        raise ParseError(f"not a number: {value!r}")
    return result


def optional(value: object) -> object | None:
    """The providers write "-" or "" for "no value"."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() in ("", "-"):
        return None
    return value


def parse_local_datetime(value: str, tz: ZoneInfo = WARSAW) -> datetime:
    """A naive "2021-06-25 21:47:47" in the provider's local time becomes an aware datetime."""
    try:
        naive = datetime.strptime(str(value).strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ParseError(f"not a date and time: {value!r}") from None
    return naive.replace(tzinfo=tz)


def parse_utc_datetime(value: str) -> datetime:
    """An ISO "2021-06-05T12:41:40.000000Z" becomes an aware UTC datetime."""
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ParseError(f"not an ISO date and time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # "0001-01-01T00:00:00+01:00" falls before year 1 in UTC
        raise ParseError(f"not an ISO date and time: {value!r}") from None


_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")


def normalise_polish_number(value: str) -> str:
    """Turn what people type into the 9 digits the providers want.

    "+48 601 123 456", "0048601123456", "48601123456", "601-123-456" -> "601123456".
    Raises ParseError for anything that is not a 9-digit Polish number.
    """
    text = _SEPARATORS.sub("", str(value))
    # A prefix only in front of nine more: "004800000" is nine digits, not 0048 and five.
    for prefix in ("+48", "0048", "48"):
        if len(text) == len(prefix) + 9 and text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if not (len(text) == 9 and text.isascii() and text.isdigit()):
        raise ParseError("a Polish number has 9 digits, e.g. 601123456")
    return text
