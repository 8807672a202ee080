"""One CSV export for every page that offers one: formula-safe cells, streamed line by line."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

# A cell starting with one of these is run by a spreadsheet as a formula (CSV injection), a line break
# included: such a cell gets a leading "'" and is shown as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
LINES_PER_CHUNK = 500


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text and never runs: "=HYPERLINK(…)" becomes "'=HYPERLINK(…)"."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """csv.writer writes into this and gets the line back."""

    def write(self, line: str) -> str:
        return line


def csv_lines(
    header: Iterable[object], rows: Iterable[Iterable[object]], *, delimiter: str = ","
) -> Iterator[str]:
    """The header and the rows as CSV text in chunks, every cell made safe; starts with a BOM, so that
    spreadsheets read UTF-8."""
    writer = csv.writer(_Line(), delimiter=delimiter, lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([safe_cell(cell) for cell in header])
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow([safe_cell(cell) for cell in row]))
        if len(lines) == LINES_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def csv_response(filename: str, lines: Iterable[str]) -> StreamingHttpResponse:
    """A download of `lines` (from csv_lines) named `filename`."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
