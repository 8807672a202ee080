"""One CSV export for every page that offers one, in two variants, formula-safe cells, streamed.

- For people (the default): what a Polish spreadsheet opens right without asking - semicolons, decimal
  commas, a UTF-8 BOM, headers and states in the viewer's language.
- Raw (`?variant=raw`), for programs: commas, decimal dots, column keys and the stored codes, no BOM.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.formats import number_format

# A cell starting with one of these is run by a spreadsheet as a formula (CSV injection), a line break
# included: such a cell gets a leading "'" and is shown as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
LINES_PER_CHUNK = 500
BOM = "\ufeff"
PEOPLE = "people"
RAW = "raw"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: `key` heads the raw variant, `title` (translated) the one for people."""

    key: str
    title: str
    labels: Mapping[str, str] | None = None  # stored codes -> words, for people
    places: int | None = None  # a decimal number with this many places


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text and never runs: "=HYPERLINK(…)" becomes "'=HYPERLINK(…)"."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def variant(request: HttpRequest) -> str:
    return RAW if request.GET.get("variant") == RAW else PEOPLE


class _Line:
    """csv.writer writes into this and gets the line back."""

    def write(self, line: str) -> str:
        return line


def _cell(column: Column, value: object, for_people: bool) -> object:
    if value is None:
        return ""
    if column.places is not None:
        number = Decimal(value)
        if for_people:
            # No thousands separator: a spreadsheet would read "1 234,56" as text.
            return number_format(number, column.places, use_l10n=True, force_grouping=False)
        return f"{number:.{column.places}f}"
    if for_people and column.labels is not None:
        return column.labels.get(str(value), value)
    return value


def csv_lines(
    columns: Sequence[Column], rows: Iterable[Sequence[object]], kind: str = PEOPLE
) -> Iterator[str]:
    """The header and the rows as CSV text in chunks, every cell made safe.

    Words are put into the active language now: the lines are made while the response streams, after
    the request's language is gone.
    """
    for_people = kind == PEOPLE
    columns = [
        Column(
            column.key,
            str(column.title),
            {code: str(label) for code, label in column.labels.items()} if column.labels else None,
            column.places,
        )
        for column in columns
    ]
    header = [column.title if for_people else column.key for column in columns]
    return _lines(columns, header, rows, for_people)


def _lines(
    columns: Sequence[Column], header: list[str], rows: Iterable[Sequence[object]], for_people: bool
) -> Iterator[str]:
    writer = csv.writer(_Line(), delimiter=";" if for_people else ",", lineterminator="\r\n")
    yield (BOM if for_people else "") + writer.writerow([safe_cell(cell) for cell in header])
    lines: list[str] = []
    for row in rows:
        cells = (_cell(column, value, for_people) for column, value in zip(columns, row, strict=True))
        lines.append(writer.writerow([safe_cell(cell) for cell in cells]))
        if len(lines) == LINES_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def csv_response(
    request: HttpRequest, filename: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A download of the rows named `filename` ("-raw" before ".csv" for the raw variant)."""
    kind = variant(request)
    if kind == RAW:
        filename = filename.removesuffix(".csv") + "-raw.csv"
    response = StreamingHttpResponse(csv_lines(columns, rows, kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
