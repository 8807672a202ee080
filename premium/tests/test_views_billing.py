"""The billing page, its CSV export and its PDF statement (made by the worker's task)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader
from pytest_django.asserts import assertHTMLEqual

from premium import billing, tasks
from premium import client as api
from premium import sync as premium_sync
from premium.billing import (
    BUSIEST_NUMBERS,
    STATEMENT_LINES_PER_BLOCK,
    DayBar,
    listing,
)
from premium.earnings import Price
from premium.forms import BillingFilterForm
from premium.models import Call, PremiumNumber, Statement
from premium.views.billing import _number_options
from providers.csv_export import safe_cell
from tests.faults import recording_queued_tasks

YEAR, MONTH = premium_sync.current_month()
START = datetime(YEAR, MONTH, 1, 12, tzinfo=premium_sync.WARSAW)


def url(name: str, tenant) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug})


@pytest.fixture
def billed(premium_account, tenant):
    """The current month's calls, synced from the sandbox over HTTP."""
    premium_sync.sync_numbers(premium_account)
    premium_sync.sync_billing(premium_account, premium_sync.billing_resource(YEAR, MONTH))
    return Call.objects.filter(tenant=tenant)


def page_rows(html: str) -> int:
    return html.count("<time datetime=")


def test_the_current_month_with_totals_per_number_and_per_day(login, tenant, viewer, billed):
    response = login(viewer).get(url("billing", tenant))

    assert response.status_code == 200
    summary = response.context["summary"]
    totals = billed.aggregate(
        calls=Count("id"),
        answered=Count("id", filter=Q(disposition="ANSWERED")),
        billed=Sum("billed_seconds"),
    )
    assert (summary.calls, summary.answered, summary.billed_seconds) == (
        totals["calls"],
        totals["answered"],
        totals["billed"],
    )
    assert summary.cost == billed.aggregate(total=Sum("redirect_cost"))["total"]
    assert {n.number: n.calls for n in summary.numbers} == dict(
        billed.values("number").annotate(n=Count("id")).values_list("number", "n")
    )
    assert sum(d.calls for d in summary.days) == totals["calls"]
    assert response.text.count('class="premium-bar-paid"') >= len(summary.days)
    assert response.text.count('class="premium-bar-cost"') >= len(summary.days)
    assert response.text.count('class="premium-chart-label"') == sum(bar.labelled for bar in summary.days) > 0
    first = summary.days[0]
    assert f'<g class="premium-chart-day" tabindex="0" aria-label="{first.title}"><title>{first.title}</title>' in (
        response.text
    )
    assert first.x > 0  # right of the money axis
    # The money axis: round values from 0 up to the best day, each written on the axis.
    ticks = summary.chart_ticks
    assert ticks[0] == 0 and ticks[-1] >= max(max(d.paid or 0, d.cost) for d in summary.days) > 0
    assert response.text.count('class="premium-chart-tick"') == len(ticks) + 1  # and "zł" above them
    assert 'style="' not in response.text
    assert page_rows(response.text) == 50


def test_filters_narrow_the_rows_and_the_totals(login, tenant, operator, billed):
    sample = billed.filter(disposition="ANSWERED").first()
    day = sample.started_at.astimezone(premium_sync.WARSAW).date()
    client = login(operator)
    cases = [
        ({"number": sample.number}, billed.filter(number=sample.number)),
        ({"disposition": "ANSWERED"}, billed.filter(disposition="ANSWERED")),
        ({"caller": f"+48 {sample.caller[:3]} {sample.caller[3:]}"}, billed.filter(caller=sample.caller)),
        (
            {"date_from": day, "date_to": day},
            [c for c in billed if c.started_at.astimezone(premium_sync.WARSAW).date() == day],
        ),
    ]
    for query, expected in cases:
        response = client.get(url("billing", tenant), query)
        assert response.status_code == 200, query
        expected_ids = {c.pk for c in expected}
        assert response.context["summary"].calls == len(expected_ids), query
        assert {c.id for c in response.context["page"].items} <= expected_ids, query


def test_one_numbers_row_is_its_whole_month_and_a_number_without_calls_has_none(
    login, tenant, viewer, billed
):
    number = billed.order_by("number").first().number
    mine = billed.filter(number=number)
    client = login(viewer)

    summary = client.get(url("billing", tenant), {"number": number}).context["summary"]

    assert [(n.number, n.calls, n.answered, n.billed_seconds, n.cost) for n in summary.numbers] == [
        (
            number,
            mine.count(),
            mine.filter(disposition="ANSWERED").count(),
            mine.aggregate(s=Sum("billed_seconds"))["s"],
            mine.aggregate(s=Sum("redirect_cost"))["s"],
        )
    ]
    assert summary.number_count == 1
    silent = client.get(url("billing", tenant), {"number": "708000000"}).context["summary"]
    assert (silent.numbers, silent.number_count, silent.calls, silent.cost) == ([], 0, 0, 0)


def test_keyset_pages_walk_back_in_time_without_repeating(login, tenant, viewer, billed):
    client = login(viewer)
    query = {"disposition": "ANSWERED"}
    first = client.get(url("billing", tenant), query).context["page"]
    second = client.get(url("billing", tenant), {**query, "after": first.next_cursor}).context["page"]

    rows = second.items
    assert len(rows) == 50 and not {c.id for c in rows} & {c.id for c in first.items}
    assert max(c.started_at for c in rows) <= min(c.started_at for c in first.items)
    assert all(c.disposition == "ANSWERED" for c in rows)

    # HTMX "Older": only the rows and the pager, no summaries.
    partial = client.get(
        url("billing", tenant), {**query, "after": first.next_cursor}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert (
        partial.text.lstrip().startswith('<div id="billing-rows">') and "premium-totals" not in partial.text
    )
    assert page_rows(partial.text) == 50

    bogus = client.get(url("billing", tenant), {"after": "not-a-cursor"})
    assert bogus.status_code == 200 and bogus.context["page"].is_first


def test_the_page_costs_the_same_queries_whatever_the_rows(
    login, tenant, viewer, premium_account, sandbox, django_assert_max_num_queries
):
    client = login(viewer)
    resource = premium_sync.billing_resource(YEAR, MONTH)
    sandbox.calls_per_month = 20
    premium_sync.sync_billing(premium_account, resource)
    # With "is anything being recounted?"; SQLite reads the numbers' prices once more, to add up in Python.
    with django_assert_max_num_queries(19 if connection.vendor == "postgresql" else 20) as few:
        client.get(url("billing", tenant))
    sandbox.calls_per_month = 1500
    premium_sync.sync_billing(premium_account, resource)
    assert Call.objects.count() > 1000
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("billing", tenant))
    assert response.context["summary"].calls == Call.objects.filter(tenant=tenant).count()


def test_a_whole_month_is_summed_up_from_its_totals_not_from_its_calls(login, tenant, viewer, billed):
    """Adding up a month of 83,000 calls on every view took a third of a second (premium.totals)."""
    client = login(viewer)
    # The numbers' totals, with what their callers paid, are read as they are kept: over every state, or
    # per state with one chosen. The days are grouped from the totals per day and tariff.
    for query, overall in (({}, True), ({"disposition": "BUSY"}, False)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("billing", tenant), query)
        assert response.status_code == 200
        read = [q["sql"] for q in queries.captured_queries]
        assert len([sql for sql in read if re.search(r'FROM "?premium_daytarifftotal\b', sql)]) == 1, query
        assert not any(re.search(r'FROM "?premium_daynumbertotal\b', sql) for sql in read), query
        assert not any("GROUP BY" in sql and re.search(r'FROM "?premium_call\b', sql) for sql in read), query
        assert any(re.search(r'FROM "?premium_monthnumberoverall\b', sql) for sql in read) == overall, query
        assert any(re.search(r'FROM "?premium_monthnumbertotal\b', sql) for sql in read) != overall, query
        assert response.context["summary"].calls == billed.filter(**query).count(), query


def test_a_numbers_days_are_summed_up_from_its_totals_and_agree_with_its_calls(login, tenant, viewer, billed):
    sample = billed.filter(disposition="ANSWERED").first()
    day = sample.started_at.astimezone(premium_sync.WARSAW).date()
    client = login(viewer)
    for query in (
        {"number": sample.number},
        {"number": sample.number, "disposition": "ANSWERED"},
        {"number": sample.number, "date_from": day, "date_to": day},
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("billing", tenant), query)
        assert response.status_code == 200, query
        read = [q["sql"] for q in queries.captured_queries]
        assert any(re.search(r'FROM "?premium_daynumbertotal\b', sql) for sql in read), query
        assert not any("GROUP BY" in sql and re.search(r'FROM "?premium_call\b', sql) for sql in read), query
        calls = [
            call
            for call in billed.filter(
                number=sample.number, **{k: v for k, v in query.items() if k == "disposition"}
            )
            if "date_from" not in query or call.started_at.astimezone(premium_sync.WARSAW).date() == day
        ]
        price = Price(PremiumNumber.objects.get(tenant=tenant, number=sample.number).price_net, None)
        expected: dict[date, list] = {}
        for call in calls:
            into = expected.setdefault(call.started_at.astimezone(premium_sync.WARSAW).date(), [0, 0, 0, 0])
            into[0] += 1
            into[1] += call.disposition == "ANSWERED"
            into[2] += call.billed_seconds
            into[3] += call.redirect_cost
        summary = response.context["summary"]
        shown = {bar.day: [bar.calls, bar.answered] for bar in summary.days if bar.calls}
        assert shown == {key: figures[:2] for key, figures in expected.items()}, query
        assert summary.calls == len(calls) and summary.billed_seconds == sum(c.billed_seconds for c in calls)
        assert summary.cost == sum((c.redirect_cost for c in calls), Decimal(0)), query
        # What callers paid: the number's price of now × its billed time, rounded per day.
        assert summary.paid == sum(price.paid(figures[2]) for figures in expected.values()), query
        assert summary.numbers[0].paid == summary.paid, query


@pytest.mark.parametrize(
    ("calls", "words"), [(1, "1 połączenie"), (3, "3 połączenia"), (5, "5 połączeń"), (22, "22 połączenia")]
)
def test_a_days_bar_says_its_calls_in_polish_plurals(calls, words):
    bar = DayBar(date(2025, 6, 1), calls, 1)
    with translation.override("pl"):
        assert bar.title == f"2025-06-01: {words}, odebranych: 1; koszt przekierowań 0,00\N{NO-BREAK SPACE}zł"


def test_the_per_number_table_shows_the_busiest_numbers_and_the_pdf_them_all(
    login, tenant, viewer, monkeypatch
):
    calls = [
        api.Call(i, "601000001", f"7081{i % 30:05d}", START, START, START, 9, 9, "ANSWERED", Decimal(0), "")
        for i in range(1, 30 * 3 + 5)
    ]
    premium_sync.save_calls(tenant.pk, calls)
    client = login(viewer)

    response = client.get(url("billing", tenant), HTTP_ACCEPT_LANGUAGE="en")

    summary = response.context["summary"]
    assert (summary.number_count, summary.calls) == (30, len(calls))
    per_number = Call.objects.filter(tenant=tenant).values("number").annotate(n=Count("id"))
    busiest = sorted(per_number, key=lambda row: (-row["n"], row["number"]))[:BUSIEST_NUMBERS]
    assert [(n.number, n.calls) for n in summary.numbers] == [(row["number"], row["n"]) for row in busiest]
    assert f"The {BUSIEST_NUMBERS} numbers with the most calls, of 30" in response.text
    statement = statement_text(client, tenant, {}, monkeypatch, HTTP_ACCEPT_LANGUAGE="en")
    assert all(row["number"] in statement for row in per_number)


@pytest.mark.parametrize(
    "query",
    [
        {"month": 13},
        {"year": "abc"},
        {"date_from": "2001-01-01"},
        {"date_from": date.today() + timedelta(days=40)},
        {"month": 1, "year": 2999},
        {"date_from": f"{YEAR}-{MONTH:02d}-10", "date_to": f"{YEAR}-{MONTH:02d}-02"},
    ],
)
def test_bad_filters_get_a_clear_error(login, tenant, viewer, query):
    response = login(viewer).get(url("billing", tenant), query)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert 'class="notice notice-error"' in response.text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "month=3&year=2025&number=708123456&disposition=NO+ANSWER&caller=%2B48+600&date_from=2025-03-02"
        "&date_to=2025-03-09",
        "month=13&year=abc&number=abc&disposition=NONE&caller=x&date_from=2001-01-01&date_to=day",
        "number=%3C%22%26%3E&caller=%3Cb%3E",
    ],
)
@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_filter_bar_is_what_djangos_widgets_would_write(query, language):
    """The filter bar's fields are written by hand (the widgets took a seventh of the page's time): the
    same labels, names, ids, values, choices, errors and aria-* as each field's as_field_group()."""
    form = BillingFilterForm.from_query(QueryDict(query))
    form.is_valid()
    with translation.override(language):
        by_hand = form.filter_bar()
        boxes = [f"<div>{form[name].as_field_group()}</div>" for name in form.FIELDS]
    widgets = f'<div class="grid">{"".join(boxes[:4])}</div><div class="grid">{"".join(boxes[4:])}</div>'
    assertHTMLEqual(by_hand, widgets)


def test_the_number_filter_asks_for_its_suggestions_as_it_is_typed_in(login, tenant, viewer, billed):
    """The suggestions' datalist is the number field's (without `list` on the input a browser shows none),
    filled from billing-numbers with what is typed; the filter form's own target and swap are not its."""
    response = login(viewer).get(url("billing", tenant))
    assert re.search(r'<input type="text" name="number"[^>]* list="premium-billing-numbers"', response.text)
    datalist = re.search(r'<datalist id="premium-billing-numbers"([^>]*)></datalist>', response.text, re.S)
    attributes = " ".join(datalist.group(1).split())
    assert f'hx-get="{url("billing-numbers", tenant)}"' in attributes
    assert 'from:#id_number' in attributes and 'hx-include="#id_number"' in attributes
    assert 'hx-target="this"' in attributes and 'hx-swap="innerHTML"' in attributes
    assert 'hx-push-url="false"' in attributes
    assert 'id="id_number"' in response.text


def _suggested(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)">', response.text)


def test_the_number_suggestions_are_the_tenants_numbers_holding_the_typed_digits(
    login, tenant, other_tenant, viewer
):
    for serial in range(30):
        PremiumNumber.objects.create(tenant=tenant, number=f"70800{serial:04d}", tariff=6)
    PremiumNumber.objects.create(tenant=tenant, number="704123456", tariff=4)
    PremiumNumber.objects.create(tenant=other_tenant, number="708000999", tariff=6)
    client = login(viewer)
    suggestions = url("billing-numbers", tenant)

    first = _suggested(client.get(suggestions))
    assert first == ["704123456"] + [f"70800{serial:04d}" for serial in range(19)]  # the first ones, in order
    assert _suggested(client.get(suggestions, {"number": "0000 01"})) == ["708000001"]  # spaces as typed
    assert _suggested(client.get(suggestions, {"number": "2345"})) == ["704123456"]  # anywhere in the number
    assert _suggested(client.get(suggestions, {"number": "999"})) == []  # another tenant's number
    for refused in ("70a", "<script>", "70%", "7_8", "٣٤٥"):
        assert _suggested(client.get(suggestions, {"number": refused})) == []


def test_the_number_suggestions_are_for_members_and_only_read(login, tenant, viewer, outsider):
    suggestions = url("billing-numbers", tenant)
    assert login(outsider).get(suggestions).status_code == 404
    assert login(viewer).post(suggestions).status_code == 405


def test_the_number_suggestions_are_each_an_escaped_option():
    assert _number_options([]) == ""
    assert _number_options(["708123456", '7<"&>']) == (
        '<option value="708123456"><option value="7&lt;&quot;&amp;&gt;">'
    )


def test_other_tenants_calls_never_show(login, tenant, other_tenant, viewer, billed):
    stranger = billed.first()
    stranger.pk, stranger.tenant, stranger.caller = None, other_tenant, "999888777"
    stranger.save()
    response = login(viewer).get(url("billing", tenant), {"caller": "999888777"})
    assert response.context["summary"].calls == 0


def test_billing_refuses_other_methods(login, tenant, viewer):
    assert login(viewer).post(url("billing", tenant)).status_code == 405
    assert login(viewer).post(url("billing-export", tenant)).status_code == 405


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    """The CSV for people: a BOM, then semicolons."""
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def read_raw_csv(response) -> list[list[str]]:
    """The CSV for programs: no BOM, commas."""
    text = b"".join(response.streaming_content).decode("utf-8")
    assert not text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_csv_has_the_whole_filtered_set_not_just_a_page(login, tenant, viewer, billed):
    response = login(viewer).get(url("billing-export", tenant), {"disposition": "ANSWERED"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"billing-{tenant.slug}-{YEAR}-{MONTH:02d}.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    answered = billed.filter(disposition="ANSWERED")
    assert len(rows) == answered.count() + 1 > 51
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == list(answered.order_by("started_at", "id").values_list("call_id", flat=True))
    first = answered.order_by("started_at", "id").first()
    assert rows[0][7] == "Stan połączenia"
    assert rows[1][4:8] == [first.number, first.caller, first.redirected_to, "odebrane"]
    assert rows[1][10] == f"{first.redirect_cost:.2f}".replace(".", ",")


def test_csv_streams_every_call_once_in_order_in_chunks_each_read_at_once(login, tenant, viewer, monkeypatch):
    """A month of millions of calls starts streaming at once: each chunk is a short query of its own (a
    server-side cursor outside a transaction is WITH HOLD: PostgreSQL computes all of it first)."""
    monkeypatch.setattr(billing, "CSV_FETCH_ROWS", 7)
    moments = [START + timedelta(minutes=index // 3) for index in range(20)]  # three calls a minute: ties
    Call.objects.bulk_create(
        Call(
            tenant=tenant,
            call_id=1000 + index,
            number="708123456",
            caller="601000001",
            started_at=moment,
            ended_at=moment,
            duration=0,
            billed_seconds=0,
            disposition="BUSY",
            redirect_cost=Decimal(0),
        )
        for index, moment in enumerate(reversed(moments))
    )
    query = billing.BillingQuery(year=YEAR, month=MONTH)

    with CaptureQueriesContext(connection) as queries:
        rows = billing.csv_rows(query, tenant)
        next(rows)
    assert len(queries) == 1 and queries[0]["sql"].endswith("LIMIT 7")
    expected = list(
        Call.objects.filter(tenant=tenant).order_by("started_at", "id").values_list("call_id", flat=True)
    )
    assert [row[0] for row in billing.csv_rows(query, tenant)] == expected
    assert len(read_csv(login(viewer).get(url("billing-export", tenant)))) == 21


def test_csv_for_programs_has_codes_commas_and_decimal_dots(login, tenant, viewer, billed):
    response = login(viewer).get(url("billing-export", tenant), {"disposition": "ANSWERED", "variant": "raw"})

    assert f"billing-{tenant.slug}-{YEAR}-{MONTH:02d}-raw.csv" in response["Content-Disposition"]
    rows = read_raw_csv(response)
    assert rows[0] == [
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
    ]
    first = billed.filter(disposition="ANSWERED").order_by("started_at", "id").first()
    assert rows[1][7] == "ANSWERED"
    assert rows[1][10] == f"{first.redirect_cost:.2f}"
    assert len(rows) == billed.filter(disposition="ANSWERED").count() + 1


def test_csv_for_people_in_english_has_english_headers_and_states(login, tenant, viewer, billed):
    client = login(viewer)
    client.cookies["django_language"] = "en"

    rows = read_csv(client.get(url("billing-export", tenant), {"disposition": "ANSWERED"}))

    assert rows[0][7] == "Call state" and rows[1][7] == "answered"


def test_csv_cells_cannot_run_as_formulas(login, tenant, viewer):
    Call.objects.create(
        tenant=tenant,
        call_id=2**40,
        number="708123456",
        caller='=1+cmd|"/c calc"!A0',
        redirected_to="+48601123456",
        started_at=premium_sync.timezone.now(),
        ended_at=premium_sync.timezone.now(),
        duration=5,
        billed_seconds=0,
        disposition="@SUM(1)",
        redirect_cost=Decimal(0),
    )
    rows = read_csv(login(viewer).get(url("billing-export", tenant)))
    assert rows[1][5] == '\'=1+cmd|"/c calc"!A0'
    assert rows[1][6] == "'+48601123456"
    assert rows[1][7] == "'@SUM(1)"
    assert [safe_cell(v) for v in ("-1", "\t=1", "\n=1", "safe", None)] == [
        "'-1",
        "'\t=1",
        "'\n=1",
        "safe",
        "",
    ]


# --- PDF -----------------------------------------------------------------------------------------


def statement_text(client, tenant, query: dict, monkeypatch, **headers) -> str:
    """Ask for the statement as the billing page's button does, make it as the worker does, read it."""
    with recording_queued_tasks(monkeypatch):
        response = client.post(f"{url('statement-request', tenant)}?{urlencode(query)}", **headers)
    assert response.status_code == 302
    statement = Statement.objects.get(tenant=tenant)
    tasks.render_statement(statement.pk)
    statement.refresh_from_db()
    with statement.file.open("rb") as file:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(file.read())).pages)


def test_pdf_statement_has_per_number_totals_then_the_calls_in_polish(
    login, tenant, viewer, billed, monkeypatch
):
    tenant.name = "Łączność Zażółć Gęślą Jaźń Sp. z o.o."
    tenant.save()
    number = billed.order_by("number").first().number
    first_call = billed.filter(number=number).order_by("started_at").first()

    text = statement_text(login(viewer), tenant, {"number": number}, monkeypatch)

    assert "Łączność Zażółć Gęślą Jaźń" in text
    assert "Zestawienie" in text and "Połączenia" in text
    totals_at, calls_at = text.index("Razem"), text.index(first_call.caller)
    assert totals_at < calls_at
    assert str(billed.filter(number=number).count()) in text[: totals_at + 200]


def test_a_listing_aligns_its_columns_to_the_widest_cell_and_keeps_every_character():
    long_caller = "+48 601 000 001 ext. 1234567890"
    rows = [("708000001", "601000001", "7"), ("708000002", long_caller, "12345")] * STATEMENT_LINES_PER_BLOCK

    listed = listing(("Number", "Caller", "Billed (s)"), rows, numeric_from=2, footer=("Total", "", "99"))

    lines = [line for block in listed.blocks for line in block.split("\n")]
    assert len(listed.blocks) == 2 and len(lines) == len(rows)
    assert listed.header == f"Number     {'Caller'.ljust(len(long_caller))}  Billed (s)"
    assert lines[0] == f"708000001  {'601000001'.ljust(len(long_caller))}           7"
    assert lines[1] == f"708000002  {long_caller}       12345"
    assert listed.footer == f"Total      {''.ljust(len(long_caller))}          99"
    assert listing(("Number",), [], numeric_from=1) == type(listed)(header="Number", blocks=[], footer="")
