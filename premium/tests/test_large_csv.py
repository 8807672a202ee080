"""A billing CSV too large to stream before the web worker's timeout (BILLING_CSV_STREAM_MAX_CALLS) is
prepared by the reports worker as a Statement of the CSV format, with the same bytes as the stream; a
smaller one streams as before. The page, the statements page and the API say so, in Polish and English."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from api.tests.conftest import make_token
from premium import billing, tasks
from premium import client as api
from premium import sync as premium_sync
from premium.models import Statement
from premium.views.billing import STATEMENTS_AT_ONCE
from tests.faults import recording_queued_tasks
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2025, 6
START = datetime(YEAR, MONTH, 1, 8, tzinfo=premium_sync.WARSAW)
JUNE = f"year={YEAR}&month={MONTH}"
CALLS = 7


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture
def june(tenant):
    """Seven calls in June 2025: answered ones with a cost (decimal places), busy ones, a formula-like caller."""
    calls = [
        api.Call(
            i, "=1+2" if i == 3 else f"60100{i:04d}", f"70800{i % 2:04d}", START + timedelta(minutes=i),
            START + timedelta(minutes=i, seconds=5) if i % 2 else None, START + timedelta(minutes=i, seconds=65),
            65, 60 if i % 2 else 0, "ANSWERED" if i % 2 else "BUSY", Decimal("0.1234") * i, "512345678",
        )
        for i in range(1, CALLS + 1)
    ]  # fmt: skip
    premium_sync.save_calls(tenant.pk, calls)


@pytest.fixture
def small_limit(settings):
    settings.BILLING_CSV_STREAM_MAX_CALLS = CALLS - 1


def streamed(client, tenant, query: str, **headers) -> bytes:
    response = client.get(f"{url('billing-export', tenant)}?{query}", **headers)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content)


def prepared(client, tenant, query: str, file_format: str, monkeypatch, capture, **headers) -> Statement:
    with recording_queued_tasks(monkeypatch) as queued, capture(execute=True):
        response = client.post(
            f"{url('statement-request', tenant)}?{query}", {"format": file_format}, **headers
        )
    assert response.status_code == 302 and response["Location"] == url("statements", tenant)
    statement = Statement.objects.filter(tenant=tenant).latest("id")
    assert queued.sent == [("premium.tasks.render_statement", (statement.pk,))]
    assert (statement.file_format, statement.state) == (file_format, Statement.State.QUEUED)
    return statement


def test_at_the_limit_the_csv_streams_and_above_it_the_page_offers_to_prepare_it(
    login, tenant, viewer, june, settings
):
    client = login(viewer)
    settings.BILLING_CSV_STREAM_MAX_CALLS = CALLS
    page = client.get(url("billing", tenant), {"year": YEAR, "month": MONTH}).text
    assert url("billing-export", tenant) in page and 'name="format"' not in page
    assert streamed(client, tenant, JUNE).count(b"\r\n") == 1 + CALLS

    settings.BILLING_CSV_STREAM_MAX_CALLS = CALLS - 1
    page = client.get(url("billing", tenant), {"year": YEAR, "month": MONTH}).text
    assert url("billing-export", tenant) not in page
    assert 'name="format" value="csv"' in page and 'name="format" value="csv-raw"' in page
    assert "Te filtry wybierają 7 połączeń: za dużo, by pobrać je za jednym razem" in page
    assert "Przygotuj CSV" in page and "Przygotuj CSV dla programów" in page
    english = client.get(
        url("billing", tenant), {"year": YEAR, "month": MONTH}, HTTP_ACCEPT_LANGUAGE="en"
    ).text
    assert "These filters select 7 calls: too many to download in one go" in english
    assert "Prepare the CSV for programs" in english

    # A link followed anyway (an old page, a bookmark) is not streamed: it offers the same.
    refused = client.get(f"{url('billing-export', tenant)}?{JUNE}&variant=raw")
    assert refused.status_code == 409 and refused["Content-Type"].startswith("text/html")
    assert "Te filtry wybierają ponad 6 połączeń" in refused.text
    assert 'name="format" value="csv-raw"' in refused.text
    english = client.get(f"{url('billing-export', tenant)}?{JUNE}", HTTP_ACCEPT_LANGUAGE="en")
    assert "These filters select more than 6 calls" in english.text
    assert 'name="format" value="csv"' in english.text

    # Some days are counted from the calls, a whole month from its totals: the same limit.
    assert client.get(f"{url('billing-export', tenant)}?{JUNE}&date_from=2025-06-01").status_code == 409
    # Narrowed below the limit, it streams.
    assert streamed(client, tenant, f"{JUNE}&disposition=BUSY").count(b"\r\n") == 1 + 3
    assert streamed(client, tenant, f"{JUNE}&number=708000000").count(b"\r\n") == 1 + 3


@pytest.mark.parametrize(
    ("file_format", "variant", "language", "name"),
    [
        ("csv", "", "pl", "billing-acme-2025-06.csv"),
        ("csv", "", "en", "billing-acme-2025-06.csv"),
        ("csv-raw", "&variant=raw", "pl", "billing-acme-2025-06-raw.csv"),
    ],
)
def test_the_prepared_csv_is_the_csv_the_page_streams(
    login, tenant, viewer, june, settings, monkeypatch, django_capture_on_commit_callbacks,
    file_format, variant, language, name,
):  # fmt: skip
    client = login(viewer)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    expected = streamed(client, tenant, JUNE + variant, **headers)
    assert (b"'=1+2" in expected) and ((b"0,12" in expected) == (language == "pl" and not variant))

    settings.BILLING_CSV_STREAM_MAX_CALLS = CALLS - 1
    statement = prepared(
        client,
        tenant,
        JUNE + variant,
        file_format,
        monkeypatch,
        django_capture_on_commit_callbacks,
        **headers,
    )
    assert statement.language == language
    tasks.render_statement(statement.pk)  # as the reports worker does

    statement.refresh_from_db()
    assert statement.state == Statement.State.READY
    assert (statement.calls, statement.calls_done, statement.pages) == (CALLS, CALLS, 0)
    assert statement.file.name.endswith(".csv")
    listing = client.get(url("statements", tenant), **headers).text
    download = url("statement-download", tenant, statement_id=statement.pk)
    assert download in listing
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert b"".join(response.streaming_content) == expected


def test_the_worker_keeps_the_csvs_progress(tenant, june, monkeypatch):
    monkeypatch.setattr(billing, "CSV_PROGRESS_ROWS", 3)
    statement = Statement.objects.create(tenant=tenant, year=YEAR, month=MONTH, file_format="csv")
    saved = []
    real_write = billing.write_csv

    def write_csv(query, tenant, output, kind, on_rows):
        def followed(done: int) -> None:
            on_rows(done)
            saved.append(Statement.objects.get(pk=statement.pk).calls_done)

        return real_write(query, tenant, output, kind, on_rows=followed)

    monkeypatch.setattr(billing, "write_csv", write_csv)
    tasks.render_statement(statement.pk)

    assert saved == [3, 6]
    statement.refresh_from_db()
    assert (statement.state, statement.calls_done) == (Statement.State.READY, CALLS)


def test_csvs_and_statements_share_the_limit_in_making_and_one_is_not_asked_twice(
    login, tenant, viewer, june, small_limit, monkeypatch, django_capture_on_commit_callbacks
):
    client = login(viewer)
    first = prepared(client, tenant, JUNE, "csv", monkeypatch, django_capture_on_commit_callbacks)

    again = client.post(f"{url('statement-request', tenant)}?{JUNE}", {"format": "csv"}, follow=True)
    assert Statement.objects.filter(tenant=tenant).count() == 1
    assert "Plik CSV z tymi filtrami jest już przygotowywany" in again.text
    assert f'id="statement-{first.pk}"' in again.text and "Zestawienia i pliki CSV" in again.text

    # A PDF of the same filters is another file; the raw CSV too.
    prepared(client, tenant, JUNE, "pdf", monkeypatch, django_capture_on_commit_callbacks)
    prepared(client, tenant, JUNE, "csv-raw", monkeypatch, django_capture_on_commit_callbacks)
    assert Statement.objects.filter(tenant=tenant).count() == STATEMENTS_AT_ONCE == 3
    refused = client.post(f"{url('statement-request', tenant)}?{JUNE}&number=708000001", {"format": "csv"})
    assert refused.status_code == 302 and Statement.objects.filter(tenant=tenant).count() == 3


def test_asking_for_a_csv_roles_tenants_and_methods(
    login, tenant, other_tenant, members, outsider, june, small_limit
):
    ask = f"{url('statement-request', tenant)}?{JUNE}"
    for role, member in members.items():  # every member reads the billing: every member may ask
        assert login(member).post(ask, {"format": "csv"}).status_code == 302, role
        Statement.objects.all().delete()
    client = login(members[Role.VIEWER])
    assert client.get(ask).status_code == 405
    assert client.post(ask, {"format": "xls"}).status_code == 400
    assert (
        client.post(f"{url('statement-request', tenant)}?year=1999&month=13", {"format": "csv"}).status_code
        == 400
    )
    assert not Statement.objects.exists()
    assert login(outsider).post(ask, {"format": "csv"}).status_code == 404
    assert login(outsider).get(f"{url('billing-export', tenant)}?{JUNE}").status_code == 404

    # A file of another tenant is never served; nor one not ready.
    theirs = Statement.objects.create(tenant=other_tenant, year=YEAR, month=MONTH, file_format="csv")
    tasks.render_statement(theirs.pk)
    assert client.get(url("statement-download", tenant, statement_id=theirs.pk)).status_code == 404
    waiting = Statement.objects.create(tenant=tenant, year=YEAR, month=MONTH, file_format="csv")
    assert client.get(url("statement-download", tenant, statement_id=waiting.pk)).status_code == 404


def test_the_api_refuses_a_month_too_large_to_stream_and_documents_it(
    client, tenant, viewer, june, small_limit
):
    _token, secret = make_token(tenant, viewer, Role.VIEWER)
    headers = {"Authorization": f"Bearer {secret}"}

    response = client.get(
        f"/api/v1/premium/billing/calls.csv?{JUNE}", headers={**headers, "Accept-Language": "en"}
    )
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/too-many-to-stream")
    assert problem["title"] == "Too many calls to stream in one request"
    assert problem["detail"].startswith("These filters select more than 6 calls")
    polish = client.get(
        f"/api/v1/premium/billing/calls.csv?{JUNE}", headers={**headers, "Accept-Language": "pl"}
    )
    assert polish.json()["detail"].startswith("Te filtry wybierają ponad 6 połączeń")
    narrowed = client.get(f"/api/v1/premium/billing/calls.csv?{JUNE}&disposition=BUSY", headers=headers)
    assert narrowed.status_code == 200
    assert b"".join(narrowed.streaming_content).count(b"\r\n") == 1 + 3

    document = client.get("/api/v1/openapi.json").json()
    csv = document["paths"]["/api/v1/premium/billing/calls.csv"]["get"]
    assert "too-many-to-stream" in csv["description"] and "BILLING_CSV_STREAM_MAX_CALLS" in csv["description"]
    assert "too-many-to-stream" in csv["responses"]["409"]["description"]
    assert "text/csv" in csv["responses"]["200"]["content"]


@pytest.fixture
def worker_environment(settings) -> dict[str, str]:
    """The real worker stores the file where this test's pages read it."""
    return {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}


@pytest.mark.worker
def test_a_real_worker_prepares_the_csv(real_worker, login, tenant, viewer, june, small_limit):
    client = login(viewer)
    response = client.post(f"{url('statement-request', tenant)}?{JUNE}", {"format": "csv-raw"})
    assert response.status_code == 302
    made = Statement.objects.filter(tenant=tenant, state=Statement.State.READY)
    assert wait_for(made.exists), real_worker.log_path.read_text()[-3000:]
    download = client.get(url("statement-download", tenant, statement_id=made.get().pk))
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines[0].startswith("call_id,started_at") and len(lines) == 1 + CALLS
