"""Reading the local billing copy: the filtered calls, their summaries and chart, the CSV and the PDF.

Billing months and days are the provider's: Europe/Warsaw. Every query is bounded by the chosen month
and filtered by the tenant, so that it runs on the (tenant, …, started_at, id) indexes however many
calls other months and tenants hold.
"""

from __future__ import annotations

import calendar
import logging
import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from html import escape
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import connection
from django.db.models import Count, DecimalField, Expression, IntegerField, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, TruncDate
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dates import MONTHS_ALT
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from accounts.models import Tenant
from premium import totals
from premium.client import Call as ProviderCall
from premium.earnings import CENT, UNKNOWN, Price, every_price, share_of, total
from premium.models import (
    Call,
    DayNumberTotal,
    DayTariffTotal,
    MonthNumberOverall,
    MonthNumberTotal,
    PremiumAccount,
    PremiumNumber,
    Statement,
)
from premium.sync import billing_resource
from provider_api.parsing import WARSAW
from providers import csv_export, events
from providers.formatting import Figures, figures, phone_html
from providers.sql import as_day, as_decimal, select
from providers.texts import later

logger = logging.getLogger(__name__)

CSV_FETCH_ROWS = 2000  # rows per database fetch while streaming the CSV
CSV_PROGRESS_ROWS = 20_000  # a CSV made by a worker saves its progress this often (about a second)
# A PDF statement lists its rows as lines of text in blocks: WeasyPrint lays out a table row in ~5 ms
# and a line of text in ~0.4 ms (bench/exports.py measures it).
STATEMENT_LINES_PER_BLOCK = 20  # one box per line is slower again, one box for all pages slower still
STATEMENT_COLUMN_GAP = "  "
# Calls per part of a statement (render_statement_pdf): ~8 s and ~230 MB of WeasyPrint each.
STATEMENT_PART_CALLS = 10_000
# Why a full statement failed, as its requester reads it (the error itself goes to the log).
STATEMENT_ERROR = gettext_noop("An error in this dashboard stopped it; it is in the server's log.")
# Rows of the page's per-number table: a thousand numbers' rows took a quarter of a second to render.
BUSIEST_NUMBERS = 20
# The daily chart, in SVG units: a day is two bars side by side (callers paid, the redirect cost).
CHART_HEIGHT = 120
CHART_TOP = 14  # room above the bars for the axis' unit
CHART_BOTTOM = 16  # room below them for the days
CHART_BAR_STEP = 16
CHART_BAR_WIDTH = 6
CHART_INNER_WIDTH = 2  # the estimated earning, inside what callers paid
CHART_AXIS_WIDTH = 42  # room left of the bars for the money axis' values
CHART_TICKS = 5  # values on the money axis at most, 0 included
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
    def whole_month(self) -> bool:
        """Whether it selects a whole month (in one call state, or all): what its totals answer, with no
        call read (premium.totals)."""
        return not (self.number or self.caller or self.date_from or self.date_to)

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

# What callers paid on calls read as they are (a caller, or days without a number), added up in the
# database: each number's billed time of a day × its price per minute of now, rounded to the grosz per day
# and number (as premium.earnings.Price does), then added up by `key` (the day, or the number). `rows` are
# the calls grouped by day and number; the tenant's shares come as two arrays (tariffs, percents). A
# number no longer on the account has no price: its calls count, its takings are not known.
MONEY_SQL = """
SELECT t.{key}, SUM(t.n_calls)::bigint, SUM(t.n_answered)::bigint, SUM(t.n_billed)::bigint, SUM(t.n_cost),
       SUM(ROUND(n.price_net * t.n_billed / 60, 2)),
       SUM(ROUND(ROUND(n.price_net * t.n_billed / 60, 2) * s.share / 100, 2))
FROM ({rows}) AS t
LEFT JOIN {numbers} AS n ON n.tenant_id = %s AND n.number = t.number
LEFT JOIN unnest(%s::integer[], %s::numeric[]) AS s (tariff, share) ON s.tariff = n.tariff
GROUP BY t.{key}
ORDER BY t.{key}
"""
MONEY_COLUMNS = ("n_calls", "n_answered", "n_billed", "n_cost", "paid", "earning")


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

    def row(self, shown: Figures) -> str:
        """The number's row of the billing page's table: figures made here, the number escaped."""
        return (
            f'<tr><th scope="row">{phone_html(self.number)}</th><td class="numeric">{shown.whole(self.calls)}</td>'
            f'<td class="numeric">{shown.whole(self.answered)}</td>'
            f'<td class="numeric">{shown.whole(self.billed_seconds)}</td>'
            f'<td class="numeric">{shown.money(self.paid)}</td><td class="numeric">{shown.money(self.cost)}</td>'
            f'<td class="numeric">{shown.money(self.earning)}</td><td class="premium-share-cell">'
            '<svg class="premium-share-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect class="premium-bar-calls" width="{self.share}" height="10"></rect></svg></td></tr>'
        )


class DayTexts:
    """The words of the days' tooltips, translated once for the chart rather than once per day."""

    def __init__(self) -> None:
        self.answered = _("%(answered)s answered")
        self.paid = _("callers paid %(amount)s")
        self.earning = _("estimated earning %(amount)s")
        self.cost = _("redirect cost %(amount)s")
        self._calls: dict[int, str] = {}

    @cached_property
    def no_calls(self) -> str:
        """The tooltip of every day without calls, after its date: made once (a month's days ahead have
        none)."""
        return DayBar(date.min, 0, 0).figures_text(self)

    def calls(self, count: int) -> str:
        if count not in self._calls:
            self._calls[count] = ngettext("%(calls)s call", "%(calls)s calls", count)
        return self._calls[count]


@dataclass
class DayBar:
    """One day of the chart: what callers paid (with the estimated earning inside it) beside the redirect
    cost, in whole SVG units (a localised "12,5" would break the drawing)."""

    day: date
    calls: int
    answered: int
    paid: Decimal | None = None
    earning: Decimal | None = None
    cost: Decimal = Decimal(0)
    x: int = 0
    paid_height: int = 0
    earning_height: int = 0
    cost_height: int = 0
    labelled: bool = False

    @cached_property
    def figures(self) -> tuple[str, str, str, str, str]:
        """Calls, answered, what callers paid, the earning and the redirect cost as text, made once for the
        day's tooltip and its row of the chart's table (the same for every day without calls)."""
        if self.is_empty:
            return _empty_day_figures(get_language())
        shown = figures()
        return (
            shown.whole(self.calls),
            shown.whole(self.answered),
            shown.money(self.paid),
            shown.money(self.earning),
            shown.money(self.cost),
        )

    @property
    def is_empty(self) -> bool:
        return not self.calls and self.paid is None and self.earning is None and not self.cost

    @property
    def title(self) -> str:
        return self.tooltip(DayTexts())

    def tooltip(self, texts: DayTexts) -> str:
        """The day's title, made here: two template translations per day took a tenth of the page's time."""
        if self.is_empty:
            return f"{self.day:%Y-%m-%d}: {texts.no_calls}"
        return f"{self.day:%Y-%m-%d}: {self.figures_text(texts)}"

    def figures_text(self, texts: DayTexts) -> str:
        """The tooltip after its date."""
        calls, answered, paid, earning, cost = self.figures
        text = f"{texts.calls(self.calls) % {'calls': calls}}, {texts.answered % {'answered': answered}}"
        if self.paid is not None:
            text += "; " + texts.paid % {"amount": paid}
        if self.earning is not None:
            text += "; " + texts.earning % {"amount": earning}
        return text + "; " + texts.cost % {"amount": cost}

    def row(self, month: str, with_earning: bool) -> str:
        """The day's row of the chart's table: "1 grudnia" as the date filter's "j E" shows it, with `month`
        the escaped name of the day's month (as "E" gives it)."""
        calls, answered, paid, earning, cost = self.figures
        earning_cell = f'<td class="numeric">{earning}</td>' if with_earning else ""
        return (
            f'<tr><th scope="row">{self.day.day} {month}</th>'
            f'<td class="numeric">{calls}</td><td class="numeric">{answered}</td><td class="numeric">{paid}</td>'
            f'{earning_cell}<td class="numeric">{cost}</td></tr>'
        )

    def svg(self, texts: DayTexts) -> str:
        """The day's bars, focusable, with their figures as the title (shown on hover; read on focus).

        Made here, as a template loop over 31 days took 2 ms of the page. Told apart without colour:
        callers paid is a solid bar, the estimated earning a narrow bar inside it, the redirect cost a
        hatched bar beside it.
        """
        # Joined here rather than by format_html: its escaping of 22 whole numbers per day was a fifth of
        # the billing page's time. Every value is a whole number made here; the title is escaped.
        title = escape(self.tooltip(texts))
        bottom = CHART_TOP + CHART_HEIGHT
        label = (
            f'<text class="premium-chart-label" x="{self.x + CHART_BAR_STEP // 2}" y="{bottom + 11}" '
            f'text-anchor="middle">{self.day.day}</text>'
            if self.labelled
            else ""
        )
        bars = "".join(
            f'<rect class="{name}" x="{x}" y="{bottom - height}" width="{width}" height="{height}"></rect>'
            for name, x, width, height in (
                ("premium-bar-paid", self.x + 1, CHART_BAR_WIDTH, self.paid_height),
                (
                    "premium-bar-earning",
                    self.x + 1 + (CHART_BAR_WIDTH - CHART_INNER_WIDTH) // 2,
                    CHART_INNER_WIDTH,
                    self.earning_height,
                ),
                ("premium-bar-cost", self.x + 2 + CHART_BAR_WIDTH, CHART_BAR_WIDTH, self.cost_height),
            )
        )
        return (
            f'<g class="premium-chart-day" tabindex="0" aria-label="{title}"><title>{title}</title>'
            f'<rect class="premium-chart-hit" x="{self.x}" y="{CHART_TOP}" width="{CHART_BAR_STEP}" '
            f'height="{CHART_HEIGHT}"></rect>{bars}{label}</g>'
        )


@lru_cache(maxsize=16)
def _empty_day_figures(language: str | None) -> tuple[str, str, str, str, str]:
    """A day's figures without calls in `language` (the active one): the same for every such day."""
    shown = figures()
    return (shown.whole(0), shown.whole(0), shown.money(None), shown.money(None), shown.money(Decimal(0)))


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
    paid: Decimal | None = None  # what callers paid, net: the sum of its days (an estimate)
    earning: Decimal | None = None  # the tenant's estimated share of it, the sum of its days
    chart_ticks: list[Decimal] = field(default_factory=list)  # the money axis' values, 0 first
    # What callers paid on some days is waiting for a worker to recount it (premium.totals.reprice_later):
    # the days' takings read from the kept totals may be out of date for a moment.
    recounting: bool = False

    @property
    def csv_streams(self) -> bool:
        """Whether its CSV is downloaded at once rather than prepared by a worker (`csv_streams`)."""
        return self.calls <= settings.BILLING_CSV_STREAM_MAX_CALLS

    @property
    def billed_minutes(self) -> Decimal:
        return (Decimal(self.billed_seconds) / 60).quantize(Decimal("0.1"))

    @property
    def chart_bars(self) -> SafeString:
        texts = DayTexts()
        return mark_safe("".join(bar.svg(texts) for bar in self.days))  # whole numbers, escaped titles

    @property
    def day_rows(self) -> SafeString:
        """The rows of the chart's table, joined here as its bars are."""
        with_earning = self.earning is not None
        months = {month: escape(str(MONTHS_ALT[month])) for month in {bar.day.month for bar in self.days}}
        rows = (bar.row(months[bar.day.month], with_earning) for bar in self.days)
        return mark_safe("".join(rows))  # figures and escaped month names

    @property
    def number_rows(self) -> SafeString:
        shown = figures()
        return mark_safe("".join(number.row(shown) for number in self.numbers))  # figures, escaped numbers

    @property
    def chart_axis(self) -> SafeString:
        """The money axis (its values with grid lines, "zł" above them) and the days' base line."""
        top = self.chart_ticks[-1] if self.chart_ticks else 0
        places = 0 if all(tick == tick.to_integral_value() for tick in self.chart_ticks) else 2
        shown = figures()
        bottom = CHART_TOP + CHART_HEIGHT
        # Joined here, as the bars are: whole numbers made here, each value's text escaped.
        parts = [
            f'<line class="premium-chart-grid" x1="{CHART_AXIS_WIDTH - 2}" x2="{self.chart_width}" y1="{y}" '
            f'y2="{y}"></line><text class="premium-chart-tick" x="{CHART_AXIS_WIDTH - 4}" y="{y + 3}" '
            f'text-anchor="end">{escape(shown.amount(tick, places))}</text>'
            for tick in self.chart_ticks
            for y in [bottom - (round(CHART_HEIGHT * tick / top) if top else 0)]
        ]
        parts.append(
            f'<text class="premium-chart-tick" x="{CHART_AXIS_WIDTH - 4}" y="{CHART_TOP - 6}" '
            f'text-anchor="end">zł</text><line class="premium-chart-base" x1="{CHART_AXIS_WIDTH - 2}" '
            f'x2="{self.chart_width}" y1="{bottom}" y2="{bottom}"></line>'
        )
        return mark_safe("".join(parts))  # whole numbers and escaped values

    @property
    def chart_view_height(self) -> int:
        return CHART_TOP + CHART_HEIGHT + CHART_BOTTOM


def summarise(
    query: BillingQuery,
    tenant: Tenant,
    *,
    busiest: int | None = None,
    shares: dict[int, Decimal] | None = None,
) -> Summary:
    """Totals, per number and per day: the numbers in order, or only the `busiest` ones (most calls first).

    A whole month, with or without a call state, is read from its totals (premium.totals): its days
    from the totals per day and tariff (at most 31 × states × tariffs rows, however many numbers), its
    numbers, with what their callers paid, from the month's totals, which without a call state need no
    adding up. A number's days (all of the month's, or some) are its totals per day. A caller, or days
    without a number, narrow the calls to what their indexes find, and those are added up directly. What
    callers paid is added up per day in the same query; with the tenant's `shares` per tariff (even none
    entered), the listed numbers' takings and the estimated earning are added too.

    What callers paid is rounded per day and number, so a month's takings are the sum of its days'. The
    estimated earning is rounded where it is shown: per day (and tariff) for the days, per month for a
    whole month's numbers; the sums of the one and of the other may differ by a few grosze (estimates).

    The month's totals are read in SQL written here: building the same queries through the ORM was a
    fifth of the billing page's time (bench/).
    """
    recounting = False  # the calls themselves are read, at the numbers' prices of now
    whole_month = query.whole_month
    if whole_month:
        per_day = _days_by_tariff(tenant, query.first_day, query.last_day, query.disposition, shares or {})
        recounting = totals.recounting(tenant.pk)
    elif query.number and not query.caller:
        # One number's days, from its totals per day: ~30 rows, not its calls.
        per_day = {row["day"]: row for row in _number_days(tenant, query, shares or {})}
        recounting = totals.recounting(tenant.pk)
    else:
        rows = query.calls(tenant).order_by()
        sums = _sums(
            Count("id"),
            Sum("billed_seconds"),
            Sum("redirect_cost"),
            Count("id", filter=Q(disposition=ANSWERED)),
        )
        per_number = rows.values("number").annotate(**sums)
        day_numbers = rows.annotate(day=TruncDate("started_at", tzinfo=WARSAW)).values("day", "number")
        day_numbers = day_numbers.annotate(**sums)
        per_day = {row["day"]: row for row in _added_up(*_sql(day_numbers), "day", tenant, shares or {})}
    # The days cover the same calls as the numbers, so the whole is added up from the days (a month
    # has at most 31), not asked of the database again: a month is the sum of its days.
    whole = {
        key: sum((row[key] for row in per_day.values()), Decimal(0) if key == "n_cost" else 0)
        for key in ("n_calls", "n_answered", "n_billed", "n_cost")
    }
    if query.number:
        # One number: its row is the whole.
        listed = [{"number": query.number, **whole}] if whole["n_calls"] else []
        number_count = len(listed)
    elif whole_month:
        listed, number_count = _month_numbers(tenant, query, busiest)
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
        row = per_day.get(day)
        if row is None:
            bars.append(DayBar(day, 0, 0))
        else:
            bars.append(
                DayBar(day, row["n_calls"], row["n_answered"], row["paid"], row["earning"], row["n_cost"])
            )
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
        paid=total([bar.paid for bar in bars]),
        earning=total([bar.earning for bar in bars]),
        recounting=recounting,
    )
    if shares is not None and summary.numbers:
        if query.number:
            summary.numbers[0].paid, summary.numbers[0].earning = summary.paid, summary.earning
        elif whole_month:
            # Kept with the month's numbers: what their callers paid is the sum of their days.
            for number, row in zip(summary.numbers, listed, strict=True):
                number.paid, number.earning = row["paid"], share_of(row["paid"], shares.get(row["tariff"]))
        else:
            # The listed numbers' takings: the sum of their days, as the month's is.
            listed_numbers = [row.number for row in summary.numbers]
            only = listed_numbers if number_count > len(listed_numbers) else None
            sql, params = _sql(day_numbers.filter(number__in=only) if only else day_numbers)
            made = {row["number"]: row for row in _added_up(sql, params, "number", tenant, shares)}
            for row in summary.numbers:
                row.paid, row.earning = made[row.number]["paid"], made[row.number]["earning"]
    _scale(summary)
    return summary


NUMBERS_SQL = "SELECT number FROM {table} WHERE tenant_id = %s AND number LIKE %s ORDER BY number LIMIT %s"


def numbers(tenant: Tenant, *, holding: str, limit: int) -> list[str]:
    """The first `limit` of the tenant's numbers holding the digits `holding` (the billing filter's
    suggestions), in order."""
    sql = NUMBERS_SQL.format(table=PremiumNumber._meta.db_table)
    return [number for (number,) in select(sql, [tenant.pk, f"%{holding}%", limit], [None])]


def day_takings(tenant: Tenant, first: date, last: date) -> list[dict]:
    """Each day with calls from `first` to `last` (both included), from the totals per day and tariff:
    n_calls, n_answered, n_billed (seconds), n_cost and what callers paid (`paid`, None if not known)."""
    return list(_days_by_tariff(tenant, first, last, "", {}).values())


# The month's totals (premium.totals) as the summaries read them. `{state}` is a call state's condition
# or nothing; the parameters are listed where each is run.
DAYS_BY_TARIFF_SQL = """
SELECT day, tariff, SUM(calls), SUM(CASE WHEN disposition = %s THEN calls ELSE 0 END),
       CAST(SUM(billed_seconds) AS BIGINT), SUM(cost), SUM(paid)
FROM {table}
WHERE tenant_id = %s AND day >= %s AND day <= %s{state}
GROUP BY day, tariff
ORDER BY day
"""
# With how many numbers had calls, counted once (COUNT(*) OVER () counted it on every row, all read first).
MONTH_NUMBERS_SQL = """
SELECT number, calls, {answered}, billed_seconds, cost, paid, tariff,
       (SELECT COUNT(*) FROM {table} WHERE tenant_id = %s AND year = %s AND month = %s{state})
FROM {table}
WHERE tenant_id = %s AND year = %s AND month = %s{state}
ORDER BY {order}
"""
# One number's totals per day (the billing filtered by a number, and some days), with what callers paid
# as last counted (premium.totals) and the tenant's share of it per tariff (two arrays: tariffs,
# percents), rounded per row as a day's takings are.
NUMBER_DAYS_SQL = """
SELECT day, SUM(calls), SUM(CASE WHEN disposition = %s THEN calls ELSE 0 END),
       CAST(SUM(billed_seconds) AS BIGINT), SUM(cost), SUM(paid), SUM(ROUND(paid * s.share / 100, 2))
FROM {table} AS t
LEFT JOIN unnest(%s::integer[], %s::numeric[]) AS s (tariff, share) ON s.tariff = t.tariff
WHERE tenant_id = %s AND number = %s AND day >= %s AND day <= %s{state}
GROUP BY day
ORDER BY day
"""
# The same rows, one by one, for adding up through Python (SQLite, a development start).
NUMBER_DAY_ROWS_SQL = """
SELECT day, tariff, calls, CASE WHEN disposition = %s THEN calls ELSE 0 END, billed_seconds, cost, paid
FROM {table}
WHERE tenant_id = %s AND number = %s AND day >= %s AND day <= %s{state}
ORDER BY day
"""
# The columns of the calls grouped by day and number (the ORM's query), in this order.
DAY_NUMBERS_COLUMNS = ("day", "number", "n_calls", "n_answered", "n_billed", "n_cost")
DAY_NUMBERS_IN_ORDER_SQL = "SELECT day, number, n_calls, n_answered, n_billed, n_cost FROM ({rows}) AS t"


def _days_by_tariff(
    tenant: Tenant, first: date, last: date, disposition: str, shares: dict[int, Decimal]
) -> dict[date, dict]:
    """The days with calls from `first` to `last` (in one call state, if given), in order, added up from
    the totals per day, state and tariff: the summary row's columns, what callers paid (`paid`) and the
    estimated `earning` (None when not known).

    What callers paid per day and tariff is the sum of the numbers' takings, each rounded per day and
    number; the estimated earning is the tenant's share of it rounded per day and tariff, not per number
    as a number's own earning is: both are estimates, and a day's earning may differ from the sum of its
    numbers' earnings by a few grosze.
    """
    state, in_state = _in_state(disposition)
    sql = DAYS_BY_TARIFF_SQL.format(table=DayTariffTotal._meta.db_table, state=state)
    params = [ANSWERED, tenant.pk, first, last, *in_state]
    return _by_day(select(sql, params, (as_day, None, None, None, None, as_decimal, as_decimal)), shares)


def _by_day(rows: list[tuple], shares: dict[int, Decimal]) -> dict[date, dict]:
    """Rows of (day, tariff, calls, answered, billed seconds, cost, what callers paid) added up per day, in
    their order: the summary row's columns, `paid` and the estimated `earning` (each row's share rounded
    on its own), None when not known."""
    added: dict[date, dict] = {}
    for day, tariff, calls, answered, billed, cost, paid in rows:
        into = added.get(day)
        if into is None:
            into = added[day] = {"day": day, "n_calls": 0, "n_answered": 0, "n_billed": 0,
                                 "n_cost": Decimal(0), "paid": [], "earning": []}  # fmt: skip
        into["n_calls"] += calls
        into["n_answered"] += answered
        into["n_billed"] += billed
        into["n_cost"] += cost
        into["paid"].append(paid)
        into["earning"].append(share_of(paid, shares.get(tariff)))
    for into in added.values():
        into["paid"], into["earning"] = total(into["paid"]), total(into["earning"])
    return added


def _month_numbers(tenant: Tenant, query: BillingQuery, busiest: int | None) -> tuple[list[dict], int]:
    """A whole month's numbers with calls (in one call state, if chosen): all of them in order, or the
    `busiest` ones, with what their callers paid and their tariff, and how many numbers had calls."""
    state, in_state = _in_state(query.disposition)
    month = [tenant.pk, query.year, query.month, *in_state]
    if query.disposition:
        table, answered = MonthNumberTotal._meta.db_table, "CASE WHEN disposition = %s THEN calls ELSE 0 END"
        params = [ANSWERED, *month, *month]
    else:
        table, answered = MonthNumberOverall._meta.db_table, "answered"
        params = [*month, *month]
    sql = MONTH_NUMBERS_SQL.format(
        table=table,
        answered=answered,
        state=state,
        order="number" if busiest is None else "calls DESC, number LIMIT %s",
    )
    if busiest is not None:
        params.append(busiest)
    rows = select(sql, params, (None, None, None, None, as_decimal, as_decimal, None, None))
    listed = [
        {"number": number, "n_calls": calls, "n_answered": answered, "n_billed": billed, "n_cost": cost,
         "paid": paid, "tariff": tariff}
        for number, calls, answered, billed, cost, paid, tariff, _count in rows
    ]  # fmt: skip
    return listed, rows[0][-1] if rows else 0


def _number_days(tenant: Tenant, query: BillingQuery, shares: dict[int, Decimal]) -> list[dict]:
    """The query's number's days (in its call state, if chosen), in order, from its totals per day: the
    summary row's columns, what callers paid (`paid`) and the estimated `earning` (None when not known)."""
    state, in_state = _in_state(query.disposition)
    table = DayNumberTotal._meta.db_table
    where = [tenant.pk, query.number, query.first_day, query.last_day, *in_state]
    if connection.vendor == "postgresql":
        tariffs = sorted(shares)
        params = [ANSWERED, tariffs, [shares[tariff] for tariff in tariffs], *where]
        with connection.cursor() as cursor:
            cursor.execute(NUMBER_DAYS_SQL.format(table=table, state=state), params)
            return [dict(zip(("day", *MONEY_COLUMNS), row, strict=True)) for row in cursor.fetchall()]
    rows = select(
        NUMBER_DAY_ROWS_SQL.format(table=table, state=state),
        [ANSWERED, *where],
        (as_day, None, None, None, None, as_decimal, as_decimal),
    )
    return list(_by_day(rows, shares).values())


def _in_state(disposition: str) -> tuple[str, list]:
    """The condition of a chosen call state on a table of totals, and its value; nothing without one."""
    return (" AND disposition = %s", [disposition]) if disposition else ("", [])


def _sql(rows: QuerySet) -> tuple[str, list]:
    sql, params = rows.query.sql_with_params()
    return sql, list(params)


def _added_up(sql: str, params: list, key: str, tenant: Tenant, shares: dict[int, Decimal]) -> list[dict]:
    """The rows of `sql` (calls grouped by day and number) added up by `key`, with what callers paid
    (MONEY_SQL)."""
    if connection.vendor != "postgresql":
        return _added_up_here(sql, params, key, tenant, shares)
    tariffs = sorted(shares)
    money_sql = MONEY_SQL.format(key=key, rows=sql, numbers=PremiumNumber._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(money_sql, [*params, tenant.pk, tariffs, [shares[tariff] for tariff in tariffs]])
        return [dict(zip((key, *MONEY_COLUMNS), row, strict=True)) for row in cursor.fetchall()]


def _added_up_here(
    sql: str, params: list, key: str, tenant: Tenant, shares: dict[int, Decimal]
) -> list[dict]:
    """As MONEY_SQL, through Python (SQLite, a development start without PostgreSQL)."""
    prices = every_price(tenant.pk, shares)
    added: dict[object, dict] = {}
    in_order = DAY_NUMBERS_IN_ORDER_SQL.format(rows=sql)
    for values in select(in_order, params, (as_day, None, None, None, None, as_decimal)):
        row = dict(zip(DAY_NUMBERS_COLUMNS, values, strict=True))
        _tariff, price = prices.get(row["number"], (None, UNKNOWN))
        into = added.setdefault(
            row[key],
            {key: row[key], "n_calls": 0, "n_answered": 0, "n_billed": 0, "n_cost": Decimal(0), "paid": [],
             "earning": []},
        )  # fmt: skip
        for column in ("n_calls", "n_answered", "n_billed", "n_cost"):
            into[column] += row[column]
        into["paid"].append(price.paid(row["n_billed"]))
        into["earning"].append(price.earning(row["n_billed"]))
    for into in added.values():
        into["paid"], into["earning"] = total(into["paid"]), total(into["earning"])
    return [added[value] for value in sorted(added)]


def day_chart(calls: list[ProviderCall], first: date, last: date, price: Price = UNKNOWN) -> Summary:
    """The days' bars of calls fetched from the provider (a number's page), with their totals; what callers
    paid is counted per day, as the billing's totals are, and the month is the sum of its days."""
    per_day: dict[date, list[int]] = {}
    costs: dict[date, Decimal] = {}
    for call in calls:
        day = call.start.astimezone(WARSAW).date()
        counts = per_day.setdefault(day, [0, 0, 0])
        counts[0] += 1
        counts[1] += call.answered
        counts[2] += call.billsec
        costs[day] = costs.get(day, Decimal(0)) + call.billcost
    days = []
    day = first
    while day <= last:
        calls_that_day, answered, billed = per_day.get(day, (0, 0, 0))
        paid, earning = (price.paid(billed), price.earning(billed)) if day in per_day else (None, None)
        days.append(DayBar(day, calls_that_day, answered, paid, earning, costs.get(day, Decimal(0))))
        day += timedelta(days=1)
    summary = Summary(
        numbers=[],
        days=days,
        calls=len(calls),
        answered=sum(call.answered for call in calls),
        billed_seconds=sum(call.billsec for call in calls),
        cost=sum((call.billcost for call in calls), Decimal(0)),
        paid=total([bar.paid for bar in days]),
        earning=total([bar.earning for bar in days]),
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


def axis_ticks(top: Decimal) -> list[Decimal]:
    """0 and round steps (1, 2 or 5 × a power of ten, a grosz at least) up to at least `top`: at most
    CHART_TICKS values."""
    if top <= 0:
        return [Decimal(0)]
    step = max(Decimal(1).scaleb(top.adjusted() - 1), CENT)  # a tenth of top's order of magnitude
    while True:
        for factor in (1, 2, 5):
            size = step * factor
            if top <= size * (CHART_TICKS - 1):
                places = Decimal(1) if size >= 1 else CENT
                return [(size * i).quantize(places) for i in range(math.ceil(top / size) + 1)]
        step *= 10


def _scale(summary: Summary) -> None:
    """Whole-number bar geometry for the SVG, on a money axis of round values."""
    busiest_number = max((n.calls for n in summary.numbers), default=0)
    for number in summary.numbers:
        number.share = round(100 * number.calls / busiest_number) if busiest_number else 0
    top = max((max(bar.paid or 0, bar.cost) for bar in summary.days), default=Decimal(0))
    summary.chart_ticks = axis_ticks(Decimal(top))
    scale = summary.chart_ticks[-1]

    def height(value: Decimal | None) -> int:
        return round(CHART_HEIGHT * value / scale) if value and scale else 0

    for index, bar in enumerate(summary.days):
        bar.x = CHART_AXIS_WIDTH + index * CHART_BAR_STEP
        bar.paid_height = height(bar.paid)
        bar.earning_height = height(bar.earning)
        bar.cost_height = height(bar.cost)
        bar.labelled = bar.day.day == 1 or bar.day.day % 5 == 0
    summary.chart_width = CHART_AXIS_WIDTH + len(summary.days) * CHART_BAR_STEP


# --- The page's calls --------------------------------------------------------------------------------


# The columns of a page of calls (call_rows, and the keyset's "id"), read as named rows rather than as
# model instances: fifty of those took twice as long to make.
CALL_ROW_FIELDS = (
    "id",
    "started_at",
    "number",
    "caller",
    "redirected_to",
    "disposition",
    "duration",
    "billed_seconds",
    "redirect_cost",
)


def call_rows(calls: list, prices: dict[str, Price]) -> SafeString:
    """The rows of the billing page's table of calls (CALL_ROW_FIELDS of each), joined here: fifty rows of
    nine cells through template tags and filters took a third of the page's time (bench/). Times in the
    current (the tenant's) time zone; figures made here; the numbers and the call state's words escaped."""
    zone = timezone.get_current_timezone()
    shown = figures()
    states = {value: escape(str(label)) for value, label in Call.Disposition.choices}
    rows = []
    for call in calls:
        started = call.started_at.astimezone(zone)
        paid = prices.get(call.number, UNKNOWN).paid(call.billed_seconds)
        badge = "badge-ok" if call.disposition == ANSWERED else "badge-warning"
        rows.append(
            f'<tr><td><time datetime="{started.isoformat()}">{started:%Y-%m-%d %H:%M:%S}</time></td>'
            f"<td>{phone_html(call.number)}</td><td>{phone_html(call.caller)}</td>"
            f"<td>{phone_html(call.redirected_to)}</td>"
            f'<td><span class="badge {badge}">{states.get(call.disposition) or escape(call.disposition)}</span></td>'
            f'<td class="numeric">{shown.whole(call.duration)}</td>'
            f'<td class="numeric">{shown.whole(call.billed_seconds)}</td>'
            f'<td class="numeric">{shown.money(paid)}</td><td class="numeric">{shown.money(call.redirect_cost)}</td></tr>'
        )
    return mark_safe("".join(rows))  # every text escaped above


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


def csv_streams(query: BillingQuery, tenant: Tenant) -> bool:
    """Whether the CSV of these calls is streamed in the request: at most BILLING_CSV_STREAM_MAX_CALLS of
    them (a larger one would outlive the web worker's timeout; a worker makes it as a Statement).

    A whole month (in a call state or all) is counted from its totals (premium.totals), in a millisecond;
    other filters count the calls only as far as the limit, on the export's index (0.15 s for a month of
    416,666 calls on the bench's data set, most of the export's first byte).
    """
    limit = settings.BILLING_CSV_STREAM_MAX_CALLS
    if not query.whole_month:
        return query.calls(tenant).order_by()[: limit + 1].count() <= limit
    month = {"tenant": tenant, "year": query.year, "month": query.month}
    if query.disposition:
        kept = MonthNumberTotal.objects.filter(**month, disposition=query.disposition)
    else:
        kept = MonthNumberOverall.objects.filter(**month)
    return (kept.aggregate(calls=Sum("calls"))["calls"] or 0) <= limit


def write_csv(
    query: BillingQuery,
    tenant: Tenant,
    output: BinaryIO,
    kind: str,
    on_rows: Callable[[int], None] = lambda rows: None,
) -> int:
    """The CSV the billing page streams, written to `output` as the same bytes (UTF-8); returns the calls
    written. `on_rows(calls so far)` follows every CSV_PROGRESS_ROWS calls."""
    written = 0

    def counted() -> Iterator[list[object]]:
        nonlocal written
        for row in csv_rows(query, tenant):
            yield row
            written += 1
            if written % CSV_PROGRESS_ROWS == 0:
                on_rows(written)

    for chunk in csv_export.csv_lines(csv_columns(), counted(), kind):
        output.write(chunk.encode())
    return written


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


def render_statement_pdf(
    query: BillingQuery,
    tenant: Tenant,
    context: dict,
    output: BinaryIO,
    on_part: Callable[[int, int], None] = lambda calls, pages: None,
) -> tuple[int, int]:
    """The statement, written to `output`: the totals per number, then every call; returns (calls
    listed, pages).

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


def make_statement(statement: Statement) -> None:
    """Make a claimed statement (a PolledJob), a PDF or a CSV, keeping its progress in its row.

    Of two deliveries of its task, one claimed it; a statement whose worker died is taken over once its
    claim runs out (the sweeper queues it again), and given up after Statement.MAX_ATTEMPTS tries.
    """
    rows = Statement.objects.filter(pk=statement.pk)
    if statement.attempts > Statement.MAX_ATTEMPTS:
        reason = later(gettext_noop("Its making stopped %(count)d times."), count=Statement.MAX_ATTEMPTS)
        statement.give_up(reason, state=Statement.State.FAILED)
        return
    rows.update(state=Statement.State.RENDERING, calls_done=0, pages=0)
    tenant = statement.tenant
    query = statement.billing_query()
    context = {
        "tenant": tenant,
        "account": PremiumAccount.of(tenant),
        "generated_at": timezone.now(),
    }
    try:
        rows.update(calls=query.calls(tenant).count())
        # In the requester's language and the tenant's time zone, as the billing page shows the calls.
        with (
            translation.override(statement.language),
            timezone.override(tenant.time_zone),
            tempfile.TemporaryFile() as output,
        ):
            if statement.is_csv:
                kind = (
                    csv_export.RAW if statement.file_format == Statement.Format.CSV_RAW else csv_export.PEOPLE
                )
                listed = write_csv(
                    query, tenant, output, kind, on_rows=lambda done: rows.update(calls_done=done)
                )
                pages = 0
            else:
                listed, pages = render_statement_pdf(
                    query,
                    tenant,
                    context,
                    output,
                    on_part=lambda done, made: rows.update(calls_done=done, pages=made),
                )
            output.seek(0)
            field = Statement._meta.get_field("file")
            name = field.storage.save(field.generate_filename(statement, ""), File(output))
    except Exception:  # the member who asked reads that it failed; what failed goes to the log
        logger.exception("statement %s of tenant %s failed", statement.pk, tenant.pk)
        statement.give_up(STATEMENT_ERROR, state=Statement.State.FAILED)
        return
    made = statement.finish(
        state=Statement.State.READY, file=name, calls=listed, calls_done=listed, pages=pages
    )
    if not made:
        field.storage.delete(name)  # another worker took the statement over: its file counts
    else:
        events.announce(tenant.pk, "report.ready", report="premium.statement", id=statement.pk)
