"""Reading the local billing copy: the filtered calls, their summaries and chart, the CSV and the PDF.

Billing months and days are the provider's: Europe/Warsaw. Every query is bounded by the chosen month
and filtered by the tenant, so that it runs on the (tenant, …, started_at, id) indexes however many
calls other months and tenants hold.
"""

from __future__ import annotations

import calendar
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import BinaryIO

from django.core.files import File
from django.db.models import Count, DecimalField, Expression, F, IntegerField, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, TruncDate
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Tenant
from premium.client import Call as ProviderCall
from premium.earnings import UNKNOWN, Price, total
from premium.models import Call, DayTotal, MonthNumberOverall, MonthNumberTotal, PremiumAccount, Statement
from premium.sync import billing_resource
from provider_api.parsing import WARSAW
from providers import csv_export, events
from providers.formatting import whole

logger = logging.getLogger(__name__)

CSV_FETCH_ROWS = 2000  # rows per database fetch while streaming the CSV
# Calls listed in a PDF statement (the CSV has them all), as lines of text in blocks: WeasyPrint lays
# out a table row in ~5 ms and a line of text in ~0.4 ms (bench/exports.py measures it).
STATEMENT_CALL_LIMIT = 5_000
STATEMENT_LINES_PER_BLOCK = 20  # one box per line is slower again, one box for all pages slower still
STATEMENT_COLUMN_GAP = "  "
# Calls per part of a full statement (render_full_statement): ~8 s and ~230 MB of WeasyPrint each.
STATEMENT_PART_CALLS = 10_000
# Rows of the page's per-number table: a thousand numbers' rows took a quarter of a second to render.
BUSIEST_NUMBERS = 20
CHART_HEIGHT = 100
CHART_BAR_STEP = 10
CHART_AXIS_WIDTH = 30  # room left of the bars for the calls axis' figures
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
    paid: Decimal | None = None  # what callers paid, net (an estimate: see premium.earnings)
    earning: Decimal | None = None  # the tenant's estimated share of it


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

    @property
    def title(self) -> str:
        """The bar's tooltip, made here: two template translations per day took a tenth of the page's time."""
        calls = ngettext("%(calls)s call", "%(calls)s calls", self.calls) % {"calls": self.calls}
        answered = _("%(answered)s answered") % {"answered": self.answered}
        return f"{self.day:%Y-%m-%d}: {calls}, {answered}"

    @property
    def svg(self) -> SafeString:
        """The day's bars: put together here, as a template loop over 31 days took 2 ms of the page."""
        label = (
            format_html('<text class="premium-chart-label" x="{}" y="114">{}</text>', self.x, self.day.day)
            if self.labelled
            else ""
        )
        # Answered calls are a narrower bar inside the day's bar: told apart by shape, not only colour.
        return format_html(
            '<g tabindex="0"><title>{}</title>'
            '<rect class="premium-bar-calls" x="{}" y="{}" width="8" height="{}"></rect>'
            '<rect class="premium-bar-answered" x="{}" y="{}" width="4" height="{}"></rect>{}</g>',
            self.title,
            self.x,
            self.calls_y,
            self.calls_height,
            self.x + 2,
            self.answered_y,
            self.answered_height,
            label,
        )


@dataclass
class Summary:
    numbers: list[NumberSummary]  # every number with calls, or the busiest ones (see summarise)
    days: list[DayBar]
    calls: int = 0
    answered: int = 0
    billed_seconds: int = 0
    cost: Decimal = Decimal(0)
    number_count: int = 0  # numbers with calls, listed or not
    chart_width: int = field(default=0)
    paid: Decimal | None = None  # what callers paid, net, over every number (an estimate)
    earning: Decimal | None = None  # the tenant's estimated share of it

    @property
    def billed_minutes(self) -> Decimal:
        return (Decimal(self.billed_seconds) / 60).quantize(Decimal("0.1"))

    @property
    def chart_bars(self) -> SafeString:
        return mark_safe("".join(bar.svg for bar in self.days))  # each part made by format_html

    @property
    def chart_axis(self) -> SafeString:
        """The calls axis: a line, and the busiest day's count, half of it and 0, each with a grid line."""
        busiest = max((day.calls for day in self.days), default=0)
        ticks = sorted({0, busiest // 2, busiest}) if busiest else [0]
        parts = [
            format_html(
                '<line class="premium-chart-grid" x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor"'
                ' stroke-opacity="0.15"></line>'
                '<text class="premium-chart-tick" x="{}" y="{}" text-anchor="end" font-size="7"'
                ' fill="currentColor">{}</text>',
                CHART_AXIS_WIDTH - 2,
                self.chart_width,
                y,
                y,
                CHART_AXIS_WIDTH - 4,
                y + 2,
                whole(tick),
            )
            for tick in ticks
            for y in [CHART_HEIGHT - round(CHART_HEIGHT * tick / busiest) if busiest else CHART_HEIGHT]
        ]
        return mark_safe("".join(parts))  # each part made by format_html


def summarise(
    query: BillingQuery, tenant: Tenant, *, busiest: int | None = None, prices: dict[str, Price] | None = None
) -> Summary:
    """Totals, per number and per day: the numbers in order, or only the `busiest` ones (most calls first).

    A whole month, with or without a call state, is read from the month's totals (premium.totals): a
    few thousand rows however many calls, and without a call state the numbers' rows need no adding up.
    A number, a caller or some days narrow the calls to what their indexes find, and those are added up
    directly.
    """
    if query.number or query.caller or query.date_from or query.date_to:
        rows = query.calls(tenant).order_by()
        days = rows.annotate(day=TruncDate("started_at", tzinfo=WARSAW))
        sums = _sums(
            Count("id"),
            Sum("billed_seconds"),
            Sum("redirect_cost"),
            Count("id", filter=Q(disposition=ANSWERED)),
        )
        per_number = rows.values("number").annotate(**sums)
    else:
        days = DayTotal.objects.filter(tenant=tenant, day__gte=query.first_day, day__lte=query.last_day)
        sums = _sums(
            Sum("calls"),
            Sum("billed_seconds"),
            Sum("cost"),
            Coalesce(Sum("calls", filter=Q(disposition=ANSWERED)), Value(0), output_field=IntegerField()),
        )
        month = {"tenant": tenant, "year": query.year, "month": query.month}
        if query.disposition:
            days = days.filter(disposition=query.disposition)
            per_state = MonthNumberTotal.objects.filter(**month, disposition=query.disposition).order_by()
            per_number = per_state.values("number").annotate(**sums)
        else:
            per_number = MonthNumberOverall.objects.filter(**month).values(
                "number",
                n_calls=F("calls"),
                n_answered=F("answered"),
                n_billed=F("billed_seconds"),
                n_cost=F("cost"),
            )
    # The days cover the same calls as the numbers, so the whole is added up from the days (a month
    # has at most 31), not asked of the database again.
    per_day = {row["day"]: row for row in days.order_by().values("day").annotate(**sums).order_by("day")}
    whole = {
        key: sum((row[key] for row in per_day.values()), Decimal(0) if key == "n_cost" else 0)
        for key in ("n_calls", "n_answered", "n_billed", "n_cost")
    }
    if query.number:
        # One number: its row is the whole.
        listed = [{"number": query.number, **whole}] if whole["n_calls"] else []
        number_count = len(listed)
    elif busiest is None:
        listed = list(per_number.order_by("number"))
        number_count = len(listed)
    else:
        # How many numbers had calls comes with the busiest ones: COUNT(*) OVER () counts the rows.
        counted = per_number.annotate(n_numbers=Window(Count("*")))
        listed = list(counted.order_by("-n_calls", "number")[:busiest])
        number_count = listed[0]["n_numbers"] if listed else 0
    bars = []
    day = query.first_day
    while day <= query.last_day:
        row = per_day.get(day, {"n_calls": 0, "n_answered": 0})
        bars.append(DayBar(day, row["n_calls"], row["n_answered"]))
        day += timedelta(days=1)
    summary = Summary(
        numbers=[
            NumberSummary(
                row["number"], row["n_calls"], row["n_answered"], row["n_billed"], Decimal(row["n_cost"])
            )
            for row in listed
        ],
        days=bars,
        calls=whole["n_calls"],
        answered=whole["n_answered"],
        billed_seconds=whole["n_billed"],
        cost=Decimal(whole["n_cost"]),
        number_count=number_count,
    )
    if prices:
        _add_earnings(summary, dict(per_number.values_list("number", "n_billed")), prices)
    _scale(summary)
    return summary


def _add_earnings(summary: Summary, billed: dict[str, int], prices: dict[str, Price]) -> None:
    """What callers paid and the estimated earning, per listed number and over every number."""
    for row in summary.numbers:
        price = prices.get(row.number, UNKNOWN)
        row.paid, row.earning = price.paid(row.billed_seconds), price.earning(row.billed_seconds)
    summary.paid = total([prices.get(number, UNKNOWN).paid(seconds) for number, seconds in billed.items()])
    summary.earning = total(
        [prices.get(number, UNKNOWN).earning(seconds) for number, seconds in billed.items()]
    )


def day_chart(calls: list[ProviderCall], first: date, last: date) -> Summary:
    """The days' bars of calls fetched from the provider (a number's page), with their totals."""
    per_day: dict[date, list[int]] = {}
    for call in calls:
        counts = per_day.setdefault(call.start.astimezone(WARSAW).date(), [0, 0])
        counts[0] += 1
        counts[1] += call.answered
    days = []
    day = first
    while day <= last:
        calls_that_day, answered = per_day.get(day, (0, 0))
        days.append(DayBar(day, calls_that_day, answered))
        day += timedelta(days=1)
    summary = Summary(
        numbers=[],
        days=days,
        calls=len(calls),
        answered=sum(call.answered for call in calls),
        billed_seconds=sum(call.billsec for call in calls),
        cost=sum((call.billcost for call in calls), Decimal(0)),
    )
    _scale(summary)
    return summary


def _sums(calls: Expression, billed: Expression, cost: Expression, answered: Expression) -> dict:
    """The four columns of a summary row, with 0 where nothing was added up."""
    return {
        "n_calls": calls,
        "n_answered": answered,
        "n_billed": Coalesce(billed, Value(0), output_field=IntegerField()),
        "n_cost": Coalesce(
            cost, Value(Decimal(0)), output_field=DecimalField(max_digits=16, decimal_places=4)
        ),
    }


def _scale(summary: Summary) -> None:
    """Whole-number bar geometry for the SVG (whole numbers: a localised "12,5" would break it)."""
    busiest_number = max((n.calls for n in summary.numbers), default=0)
    for number in summary.numbers:
        number.share = round(100 * number.calls / busiest_number) if busiest_number else 0
    busiest_day = max((d.calls for d in summary.days), default=0)
    for index, bar in enumerate(summary.days):
        bar.x = CHART_AXIS_WIDTH + index * CHART_BAR_STEP + 1
        bar.calls_height = round(CHART_HEIGHT * bar.calls / busiest_day) if busiest_day else 0
        bar.answered_height = round(CHART_HEIGHT * bar.answered / busiest_day) if busiest_day else 0
        bar.calls_y = CHART_HEIGHT - bar.calls_height
        bar.answered_y = CHART_HEIGHT - bar.answered_height
        bar.labelled = bar.day.day == 1 or bar.day.day % 5 == 0
    summary.chart_width = CHART_AXIS_WIDTH + len(summary.days) * CHART_BAR_STEP


# --- CSV -----------------------------------------------------------------------------------------


def _local(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S")


def csv_columns() -> list[csv_export.Column]:
    return [
        csv_export.Column("call_id", _("Call id")),
        csv_export.Column("started_at", _("Start")),
        csv_export.Column("answered_at", _("Answered")),
        csv_export.Column("ended_at", _("End")),
        csv_export.Column("number", _("Number")),
        csv_export.Column("caller", _("Caller")),
        csv_export.Column("redirected_to", _("Redirected to")),
        csv_export.Column("disposition", _("Call state"), labels=dict(Call.Disposition.choices)),
        csv_export.Column("duration", _("Duration (s)")),
        csv_export.Column("billed_seconds", _("Billed (s)")),
        csv_export.Column("redirect_cost", _("Redirect cost (zł)"), places=2),
    ]


def csv_rows(query: BillingQuery, tenant: Tenant) -> Iterator[list[object]]:
    """The whole filtered set, oldest first, read in chunks of CSV_FETCH_ROWS while it streams.

    Each chunk is a short query from where the last one ended, on the (tenant, …, started_at, id)
    index: the first rows go out at once however many calls are selected. A server-side cursor does
    not: outside a transaction Django declares it WITH HOLD, and PostgreSQL computes every row of such a
    cursor before it returns the first (bench/: a month of 10,000,000 calls).
    """
    keys = [column.key for column in csv_columns()]
    calls = query.calls(tenant).order_by("started_at", "id")
    chunk = calls
    while True:
        rows = list(chunk.values_list("pk", *keys)[:CSV_FETCH_ROWS])
        for _pk, call_id, started, answered, ended, *rest in rows:
            yield [call_id, _local(started), _local(answered), _local(ended), *rest]
        if len(rows) < CSV_FETCH_ROWS:
            return
        last_pk, last_start = rows[-1][0], rows[-1][2]
        # (started_at, id) > the last row's, with started_at >= on its own so that the index scan starts there.
        chunk = calls.filter(
            Q(started_at__gte=last_start),
            Q(started_at__gt=last_start) | Q(started_at=last_start, pk__gt=last_pk),
        )


# --- PDF statement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """Rows as lines of fixed-width columns, in blocks, with a header line and maybe a footer line."""

    header: str
    blocks: list[str]
    footer: str = ""


def listing(
    titles: tuple[str, ...], rows: list[tuple[str, ...]], *, numeric_from: int, footer: tuple[str, ...] = ()
) -> Listing:
    """The columns from `numeric_from` on are aligned right; every column is as wide as its widest cell."""
    widths = [
        max(len(cell[i]) for cell in (titles, *rows, *([footer] if footer else [])))
        for i in range(len(titles))
    ]

    def line(cells: tuple[str, ...]) -> str:
        return STATEMENT_COLUMN_GAP.join(
            cell.rjust(width) if i >= numeric_from else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [line(row) for row in rows]
    blocks = [
        "\n".join(lines[start : start + STATEMENT_LINES_PER_BLOCK])
        for start in range(0, len(lines), STATEMENT_LINES_PER_BLOCK)
    ]
    return Listing(header=line(titles), blocks=blocks, footer=line(footer) if footer else "")


def statement_number_listing(summary: Summary) -> Listing:
    """Every number's totals and the total of all, as the statement lists them."""
    rows = [
        (n.number, str(n.calls), str(n.answered), str(n.billed_seconds), number_format(n.cost, 2))
        for n in summary.numbers
    ]
    total = (
        _("Total"),
        str(summary.calls),
        str(summary.answered),
        str(summary.billed_seconds),
        number_format(summary.cost, 2),
    )
    titles = (_("Number"), _("Calls"), _("Answered"), _("Billed (s)"), _("Redirect cost (zł)"))
    return listing(titles, rows, numeric_from=1, footer=total)


def statement_call_listing(calls: list[Call]) -> Listing:
    """Start (Europe/Warsaw, as billed), number, caller, target, state, billed seconds, cost."""
    titles = (
        _("Start"),
        _("Number"),
        _("Caller"),
        _("Redirected to"),
        _("Call state"),
        _("Billed (s)"),
        _("Redirect cost (zł)"),
    )
    rows = [
        (
            _local(call.started_at),
            call.number,
            call.caller,
            call.redirected_to,
            call.disposition_label,
            str(call.billed_seconds),
            number_format(call.redirect_cost, 2),
        )
        for call in calls
    ]
    return listing(titles, rows, numeric_from=5)


def statement_pdf(query: BillingQuery, tenant: Tenant, context: dict) -> bytes:
    """The month's statement: per-number totals, then the first STATEMENT_CALL_LIMIT calls (WeasyPrint,
    DejaVu fonts); a Statement made in the background lists them all (render_full_statement)."""
    from weasyprint import CSS, HTML  # imported on use: loading Pango costs every other request

    summary = summarise(query, tenant)
    calls = list(query.calls(tenant).order_by("started_at", "id")[: STATEMENT_CALL_LIMIT + 1])
    html = render_to_string(
        "premium/statement.html",
        {
            **context,
            "query": query,
            "summary": summary,
            "number_listing": statement_number_listing(summary),
            "call_listing": statement_call_listing(calls[:STATEMENT_CALL_LIMIT]),
            "truncated": len(calls) > STATEMENT_CALL_LIMIT,
            "limit": STATEMENT_CALL_LIMIT,
        },
    )
    stylesheet = CSS(string=render_to_string("premium/statement.css"))
    return HTML(string=html).write_pdf(stylesheets=[stylesheet])


def render_full_statement(
    query: BillingQuery,
    tenant: Tenant,
    context: dict,
    output: BinaryIO,
    on_part: Callable[[int, int], None] = lambda calls, pages: None,
) -> tuple[int, int]:
    """The statement with every call, written to `output`; returns (calls listed, pages).

    WeasyPrint keeps a whole document's layout in memory (~6 KB a line: 0.6 GB for 100,000 calls), so
    the calls are laid out in parts of STATEMENT_PART_CALLS, each numbered on from the last part's
    pages, and the parts are joined with pypdf. `on_part(calls so far, pages so far)` follows each part.
    """
    from pypdf import PdfWriter
    from weasyprint import CSS, HTML

    summary = summarise(query, tenant)
    stylesheet = CSS(string=render_to_string("premium/statement.css"))
    ordered = query.calls(tenant).order_by("started_at", "id")
    writer = PdfWriter()
    listed = pages = 0
    last: Call | None = None
    with tempfile.TemporaryDirectory() as folder:
        while True:
            part = ordered
            if last is not None:  # keyset: the next part starts after the last call listed
                after = Q(started_at__gt=last.started_at) | Q(started_at=last.started_at, id__gt=last.id)
                part = ordered.filter(after)
            calls = list(part[:STATEMENT_PART_CALLS])
            if last is not None and not calls:
                break
            html = render_to_string(
                "premium/statement.html",
                {
                    **context,
                    "query": query,
                    "summary": summary,
                    "number_listing": statement_number_listing(summary) if last is None else None,
                    "call_listing": statement_call_listing(calls),
                    "continued": last is not None,
                },
            )
            # The total of pages is not known while the parts are made: each page says its number.
            numbering = CSS(
                string="@page { @bottom-right { content: counter(page) } } "
                f"@page :first {{ counter-reset: page {pages + 1} }}"
            )
            document = HTML(string=html).render(stylesheets=[stylesheet, numbering])
            path = f"{folder}/{listed}.pdf"
            document.write_pdf(path)
            listed += len(calls)
            pages += len(document.pages)
            del document
            writer.append(path)
            on_part(listed, pages)
            if len(calls) < STATEMENT_PART_CALLS:
                break
            last = calls[-1]
        writer.write(output)
    return listed, pages


def make_full_statement(statement: Statement) -> None:
    """Make a claimed full statement (a PolledJob), keeping its progress in its row.

    Of two deliveries of its task, one claimed it; a statement whose worker died is taken over once its
    claim runs out (the sweeper queues it again), and given up after Statement.MAX_ATTEMPTS tries.
    """
    rows = Statement.objects.filter(pk=statement.pk)
    if statement.attempts > Statement.MAX_ATTEMPTS:
        with translation.override(statement.language):  # the requester reads it
            reason = _("Its making stopped %(count)d times.") % {"count": Statement.MAX_ATTEMPTS}
        statement.give_up(reason, state=Statement.State.FAILED)
        return
    rows.update(state=Statement.State.RENDERING, calls_done=0, pages=0)
    tenant = statement.tenant
    query = statement.billing_query()
    context = {
        "tenant": tenant,
        "account": PremiumAccount.objects.filter(tenant=tenant).first(),
        "generated_at": timezone.now(),
    }
    try:
        rows.update(calls=query.calls(tenant).count())
        # In the requester's language and the tenant's time zone, as the billing page's own PDF is.
        with (
            translation.override(statement.language),
            timezone.override(tenant.time_zone),
            tempfile.TemporaryFile() as output,
        ):
            listed, pages = render_full_statement(
                query,
                tenant,
                context,
                output,
                on_part=lambda done, made: rows.update(calls_done=done, pages=made),
            )
            output.seek(0)
            field = Statement._meta.get_field("file")
            name = field.storage.save(field.generate_filename(statement, ""), File(output))
    except Exception as error:  # recorded in the row for the member who asked; the traceback goes to the log
        logger.exception("full statement %s of tenant %s failed", statement.pk, tenant.pk)
        statement.give_up(f"{type(error).__name__}: {error}"[:500], state=Statement.State.FAILED)
        return
    made = statement.finish(
        state=Statement.State.READY, file=name, calls=listed, calls_done=listed, pages=pages
    )
    if not made:
        field.storage.delete(name)  # another worker took the statement over: its file counts
    else:
        events.announce(tenant.pk, "report.ready", report="premium.statement", id=statement.pk)
