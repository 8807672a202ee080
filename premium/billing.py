"""Reading the local billing copy: the filtered calls, their summaries and chart, the CSV and the PDF.

Billing months and days are the provider's: Europe/Warsaw. Every query is bounded by the chosen month
and filtered by the tenant, so that it runs on the (tenant, …, started_at, id) indexes however many
calls other months and tenants hold.
"""

from __future__ import annotations

import calendar
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.models import Tenant
from premium.models import Call
from premium.sync import billing_resource
from provider_api.parsing import WARSAW

CSV_FETCH_ROWS = 2000  # rows per database fetch while streaming the CSV
CSV_LINES_PER_CHUNK = 500  # lines per piece of the streamed response
STATEMENT_CALL_LIMIT = (
    1000  # calls listed in a PDF statement (WeasyPrint lays out ~4 ms per row); the CSV has all
)
CHART_HEIGHT = 100
CHART_BAR_STEP = 10
CSV_DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
ANSWERED = Call.Disposition.ANSWERED.value


@dataclass(frozen=True)
class BillingQuery:
    """One month of billing, optionally narrowed to a number, a call state, a caller and days."""

    year: int
    month: int
    number: str = ""
    disposition: str = ""
    caller: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_cleaned(cls, data: dict) -> BillingQuery:
        return cls(
            year=data["year"],
            month=data["month"],
            number=data.get("number") or "",
            disposition=data.get("disposition") or "",
            caller=data.get("caller") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    @property
    def resource(self) -> str:
        """The SyncStatus resource of this month's billing."""
        return billing_resource(self.year, self.month)

    @property
    def first_day(self) -> date:
        return self.date_from or date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.date_to or date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def disposition_label(self) -> str:
        choices = dict(Call.Disposition.choices)
        return str(choices.get(self.disposition, self.disposition))

    def period(self) -> tuple[datetime, datetime]:
        """[start, end) as aware times: the chosen days of the provider's month."""
        start = datetime.combine(self.first_day, time.min, WARSAW)
        end = datetime.combine(self.last_day + timedelta(days=1), time.min, WARSAW)
        return start, end

    def calls(self, tenant: Tenant) -> QuerySet[Call]:
        start, end = self.period()
        calls = Call.objects.filter(tenant=tenant, started_at__gte=start, started_at__lt=end)
        if self.number:
            calls = calls.filter(number=self.number)
        if self.disposition:
            calls = calls.filter(disposition=self.disposition)
        if self.caller:
            calls = calls.filter(caller=self.caller)
        return calls


# --- Summaries and the chart ---------------------------------------------------------------------


@dataclass
class NumberSummary:
    number: str
    calls: int
    answered: int
    billed_seconds: int
    cost: Decimal
    share: int = 0  # percent of the busiest number's calls, for its bar


@dataclass
class DayBar:
    day: date
    calls: int
    answered: int
    x: int = 0
    calls_y: int = 0
    calls_height: int = 0
    answered_y: int = 0
    answered_height: int = 0
    labelled: bool = False


@dataclass
class Summary:
    numbers: list[NumberSummary]
    days: list[DayBar]
    calls: int = 0
    answered: int = 0
    billed_seconds: int = 0
    cost: Decimal = Decimal(0)
    chart_width: int = field(default=0)

    @property
    def billed_minutes(self) -> Decimal:
        return (Decimal(self.billed_seconds) / 60).quantize(Decimal("0.1"))


def summarise(query: BillingQuery, tenant: Tenant) -> Summary:
    """Totals, per number and per day, in two grouped queries over the filtered calls."""
    calls = query.calls(tenant).order_by()
    answered = Count("id", filter=Q(disposition=ANSWERED))
    per_number = (
        calls.values("number")
        .annotate(
            calls=Count("id"),
            answered=answered,
            billed=Coalesce(Sum("billed_seconds"), Value(0), output_field=IntegerField()),
            cost=Coalesce(
                Sum("redirect_cost"),
                Value(Decimal(0)),
                output_field=DecimalField(max_digits=14, decimal_places=4),
            ),
        )
        .order_by("number")
    )
    numbers = [
        NumberSummary(row["number"], row["calls"], row["answered"], row["billed"], Decimal(row["cost"]))
        for row in per_number
    ]
    per_day = {
        row["day"]: row
        for row in calls.annotate(day=TruncDate("started_at", tzinfo=WARSAW))
        .values("day")
        .annotate(calls=Count("id"), answered=answered)
        .order_by("day")
    }
    days = []
    day = query.first_day
    while day <= query.last_day:
        row = per_day.get(day, {"calls": 0, "answered": 0})
        days.append(DayBar(day, row["calls"], row["answered"]))
        day += timedelta(days=1)
    summary = Summary(
        numbers=numbers,
        days=days,
        calls=sum(n.calls for n in numbers),
        answered=sum(n.answered for n in numbers),
        billed_seconds=sum(n.billed_seconds for n in numbers),
        cost=sum((n.cost for n in numbers), Decimal(0)),
    )
    _scale(summary)
    return summary


def _scale(summary: Summary) -> None:
    """Whole-number bar geometry for the SVG (whole numbers: a localised "12,5" would break it)."""
    busiest_number = max((n.calls for n in summary.numbers), default=0)
    for number in summary.numbers:
        number.share = round(100 * number.calls / busiest_number) if busiest_number else 0
    busiest_day = max((d.calls for d in summary.days), default=0)
    for index, bar in enumerate(summary.days):
        bar.x = index * CHART_BAR_STEP + 1
        bar.calls_height = round(CHART_HEIGHT * bar.calls / busiest_day) if busiest_day else 0
        bar.answered_height = round(CHART_HEIGHT * bar.answered / busiest_day) if busiest_day else 0
        bar.calls_y = CHART_HEIGHT - bar.calls_height
        bar.answered_y = CHART_HEIGHT - bar.answered_height
        bar.labelled = bar.day.day == 1 or bar.day.day % 5 == 0
    summary.chart_width = len(summary.days) * CHART_BAR_STEP


# --- CSV -----------------------------------------------------------------------------------------


def csv_safe(value: object) -> str:
    """A spreadsheet must not run a cell as a formula: "=HYPERLINK(…)" becomes "'=HYPERLINK(…)"."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(CSV_DANGEROUS_FIRST) else text


class _Line:
    """csv.writer writes into this and gets the line back."""

    def write(self, line: str) -> str:
        return line


def _local(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S")


CSV_COLUMNS = (
    "call_id",
    "started_at",
    "answered_at",
    "ended_at",
    "number",
    "caller",
    "redirected_to",
    "disposition",
    "duration",
    "billed_seconds",
    "redirect_cost",
)


def csv_header() -> list[str]:
    return [
        _("Call id"),
        _("Start"),
        _("Answered"),
        _("End"),
        _("Number"),
        _("Caller"),
        _("Redirected to"),
        _("Call state"),
        _("Duration (s)"),
        _("Billed (s)"),
        _("Redirect cost (zł)"),
    ]


def csv_lines(query: BillingQuery, tenant: Tenant) -> Iterator[str]:
    """The whole filtered set, oldest first, fetched from the database in chunks while it streams."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(csv_header())  # the BOM makes spreadsheets read UTF-8
    rows = query.calls(tenant).order_by("started_at", "id").values_list(*CSV_COLUMNS)
    lines: list[str] = []
    for row in rows.iterator(chunk_size=CSV_FETCH_ROWS):
        call_id, started, answered, ended, *texts, duration, billed, cost = row
        cells = [call_id, _local(started), _local(answered), _local(ended), *texts, duration, billed]
        lines.append(writer.writerow([csv_safe(cell) for cell in [*cells, f"{cost:.2f}"]]))
        if len(lines) == CSV_LINES_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


# --- PDF statement -------------------------------------------------------------------------------


def statement_pdf(query: BillingQuery, tenant: Tenant, context: dict) -> bytes:
    """The month's statement: per-number totals, then the calls (WeasyPrint, DejaVu fonts)."""
    from weasyprint import CSS, HTML  # imported on use: loading Pango costs every other request

    summary = summarise(query, tenant)
    calls = list(query.calls(tenant).order_by("started_at", "id")[: STATEMENT_CALL_LIMIT + 1])
    html = render_to_string(
        "premium/statement.html",
        {
            **context,
            "query": query,
            "summary": summary,
            "calls": calls[:STATEMENT_CALL_LIMIT],
            "truncated": len(calls) > STATEMENT_CALL_LIMIT,
            "limit": STATEMENT_CALL_LIMIT,
        },
    )
    stylesheet = CSS(string=render_to_string("premium/statement.css"))
    return HTML(string=html).write_pdf(stylesheets=[stylesheet])
