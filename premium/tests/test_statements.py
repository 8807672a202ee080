"""PDF statements: asked for on the billing page, made by a worker in parts, downloaded when ready."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import weasyprint
from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pypdf import PdfReader

from premium import billing, tasks
from premium import client as api
from premium import sync as premium_sync
from premium.models import Statement
from providers.formatting import NBSP
from tests.faults import recording_queued_tasks

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2025, 6
START = datetime(YEAR, MONTH, 1, 8, tzinfo=premium_sync.WARSAW)


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"premium:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def store_calls(tenant, count: int) -> list[api.Call]:
    calls = [
        api.Call(
            i, f"60100{i:04d}", f"70800{i % 3:04d}", START + timedelta(minutes=i), None,
            START + timedelta(minutes=i), 5, 0, "BUSY", Decimal(0), "512345678",
        )
        for i in range(1, count + 1)
    ]  # fmt: skip
    premium_sync.save_calls(tenant.pk, calls)
    return calls


def a_statement(tenant, **fields) -> Statement:
    return Statement.objects.create(tenant=tenant, year=YEAR, month=MONTH, **fields)


def pdf_pages(statement: Statement) -> list[str]:
    with statement.file.open("rb") as file:
        return [page.extract_text() for page in PdfReader(io.BytesIO(file.read())).pages]


def test_a_statement_lists_every_call_in_parts_numbered_on(tenant, monkeypatch):
    calls = store_calls(tenant, 70)
    monkeypatch.setattr(billing, "STATEMENT_PART_CALLS", 30)  # three parts: 30, 30 and 10 calls
    statement = a_statement(tenant)

    tasks.render_statement(statement.pk)

    statement.refresh_from_db()
    assert statement.state == Statement.State.READY and statement.finished_at is not None
    assert (statement.calls, statement.calls_done) == (70, 70)
    pages = pdf_pages(statement)
    assert statement.pages == len(pages) >= 3
    text = "\n".join(pages)
    assert "Zestawienie billingu Numery-Premium.PL" in pages[0] and text.count("Zestawienie billingu") == 1
    for call in calls:
        assert call.start.strftime("%Y-%m-%d %H:%M:%S") in text
    # Each page ends with its own number, counted on across the parts.
    assert [re.findall(r"\d+", page.rstrip().splitlines()[-1])[-1] for page in pages] == [
        str(n) for n in range(1, len(pages) + 1)
    ]


def test_a_month_without_calls_makes_a_statement_that_says_so(tenant):
    statement = a_statement(tenant)

    tasks.render_statement(statement.pk)

    statement.refresh_from_db()
    assert (statement.state, statement.calls) == (Statement.State.READY, 0)
    assert "Brak połączeń w tym okresie." in pdf_pages(statement)[0]


def test_a_statement_taken_up_once_is_not_made_again(tenant, monkeypatch):
    ready = a_statement(tenant, state=Statement.State.READY, pages=9)
    rendering = a_statement(
        tenant,
        state=Statement.State.RENDERING,
        poll_status=Statement.PollStatus.POLLING,
        claimed_until=timezone.now() + Statement.CLAIM_LEASE,
    )
    monkeypatch.setattr(billing, "render_statement_pdf", lambda *a, **k: pytest.fail("made twice"))

    tasks.render_statement(ready.pk)
    tasks.render_statement(rendering.pk)

    ready.refresh_from_db()
    assert (ready.state, ready.pages) == (Statement.State.READY, 9)


def test_a_statement_whose_worker_died_is_made_by_the_next_delivery(tenant):
    stale = a_statement(
        tenant,
        state=Statement.State.RENDERING,
        poll_status=Statement.PollStatus.POLLING,
        claimed_until=timezone.now() - timedelta(seconds=1),
    )

    tasks.render_statement(stale.pk)

    stale.refresh_from_db()
    assert stale.state == Statement.State.READY


def test_a_failure_is_kept_in_the_row_and_shown(tenant, login, viewer, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(billing, "render_statement_pdf", broken)
    statement = a_statement(tenant)

    tasks.render_statement(statement.pk)

    statement.refresh_from_db()
    assert statement.state == Statement.State.FAILED and statement.finished_at is not None
    client = login(viewer)
    page = client.get(url("statements", tenant)).text
    assert "Nie udało się go przygotować; zamów je ponownie na stronie billingu." in page
    # Not the program's words: those are in the server's log.
    assert "OSError" not in page and "No space left on device" not in page
    assert "OSError" not in client.get(url("statements", tenant), HTTP_ACCEPT_LANGUAGE="en").text


def test_a_statement_given_up_reads_in_the_viewers_language(tenant, login, viewer):
    statement = a_statement(tenant, language="pl", attempts=Statement.MAX_ATTEMPTS + 1)

    tasks.render_statement(statement.pk)

    statement.refresh_from_db()
    assert statement.state == Statement.State.FAILED
    english = login(viewer).get(url("statements", tenant), HTTP_ACCEPT_LANGUAGE="en").text
    assert f"Its making stopped {Statement.MAX_ATTEMPTS} times." in english


def test_the_billing_page_offers_one_pdf_statement_a_form_that_asks_a_worker(tenant, login, viewer):
    store_calls(tenant, 12)

    page = login(viewer).get(url("billing", tenant), {"year": YEAR, "month": MONTH}).text

    action = f'action="{url("statement-request", tenant)}?year={YEAR}&amp;month={MONTH}"'
    form = page[page.rindex("<form", 0, page.index(action)) : page.index("</form>", page.index(action))]
    assert 'method="post"' in form and 'name="csrfmiddlewaretoken"' in form
    assert ">Zestawienie PDF</button>" in form
    assert page.count("Zestawienie PDF</") == 1 and ".pdf" not in page
    with pytest.raises(NoReverseMatch):
        reverse("premium:billing-statement", kwargs={"tenant_slug": tenant.slug})


def test_asking_renders_nothing_in_the_request_and_the_worker_makes_every_call(
    tenant, login, viewer, monkeypatch, django_capture_on_commit_callbacks
):
    calls = store_calls(tenant, 40)

    def rendered_in_the_request(*args, **kwargs):
        raise AssertionError("WeasyPrint ran in the web request")

    with (
        monkeypatch.context() as patch,
        recording_queued_tasks(monkeypatch) as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        patch.setattr(weasyprint, "HTML", rendered_in_the_request)
        patch.setattr(weasyprint, "CSS", rendered_in_the_request)
        response = login(viewer).post(url("statement-request", tenant) + f"?year={YEAR}&month={MONTH}")

    statement = Statement.objects.get(tenant=tenant)
    assert response.status_code == 302 and response["Location"] == url("statements", tenant)
    assert (statement.state, statement.file.name) == (Statement.State.QUEUED, "")
    assert queued.sent == [("premium.tasks.render_statement", (statement.pk,))]

    tasks.render_statement(statement.pk)  # as the worker does

    statement.refresh_from_db()
    text = "\n".join(pdf_pages(statement))
    assert statement.state == Statement.State.READY and statement.calls == 40
    totals_at = text.index("Podsumowanie według numerów")
    assert totals_at < text.index("Razem") < text.index(calls[0].start.strftime("%Y-%m-%d %H:%M:%S"))
    for call in calls:
        assert call.start.strftime("%Y-%m-%d %H:%M:%S") in text


def test_asking_queues_a_statement_of_the_filters_and_lists_it(
    tenant, login, viewer, monkeypatch, django_capture_on_commit_callbacks
):
    client = login(viewer)
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("statement-request", tenant)
            + f"?year={YEAR}&month={MONTH}&number=708000001&disposition=BUSY",
            follow=True,
        )

    assert response.redirect_chain == [(url("statements", tenant), 302)]
    assert "Zestawienie PDF jest przygotowywane; gdy będzie gotowe, pobierzesz je tutaj." in response.text
    statement = Statement.objects.get(tenant=tenant)
    assert (statement.year, statement.month, statement.number, statement.disposition) == (
        YEAR, MONTH, "708000001", "BUSY",
    )  # fmt: skip
    assert (statement.requested_by, statement.state, statement.language) == (
        viewer,
        Statement.State.QUEUED,
        "pl",
    )
    assert queued.sent == [("premium.tasks.render_statement", (statement.pk,))]
    assert f'id="statement-{statement.pk}"' in response.text and "708\N{NO-BREAK SPACE}000\N{NO-BREAK SPACE}001" in response.text
    assert 'hx-trigger="every 2s"' in response.text


def test_asking_again_for_the_same_filters_leads_to_the_one_being_made(
    tenant, login, viewer, operator, monkeypatch, django_capture_on_commit_callbacks
):
    same = f"?year={YEAR}&month={MONTH}&number=708000001"
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        login(viewer).post(url("statement-request", tenant) + same)
        statement = Statement.objects.get()
        again = login(operator).post(url("statement-request", tenant) + same, follow=True)

    assert Statement.objects.count() == 1 and len(queued.sent) == 1
    assert again.redirect_chain == [(url("statements", tenant) + f"#statement-{statement.pk}", 302)]
    assert "Zestawienie z tymi filtrami jest już przygotowywane" in again.text

    # Other filters, or the same once the first is ready, make a new one.
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        login(viewer).post(url("statement-request", tenant) + f"?year={YEAR}&month={MONTH}&number=708000002")
        Statement.objects.filter(pk=statement.pk).update(state=Statement.State.READY)
        login(viewer).post(url("statement-request", tenant) + same)
    assert Statement.objects.count() == 3 and len(queued.sent) == 2


@pytest.mark.parametrize("role", ["owner", "tenant_admin", "operator", "viewer"])
def test_every_member_may_ask_for_a_statement(tenant, login, role, request, monkeypatch):
    member = request.getfixturevalue(role)
    with recording_queued_tasks(monkeypatch):
        response = login(member).post(url("statement-request", tenant) + f"?year={YEAR}&month={MONTH}")

    assert response.status_code == 302
    assert Statement.objects.get().requested_by == member


def test_an_outsider_gets_404_and_a_stranger_the_login(tenant, login, outsider, client, monkeypatch):
    asking = url("statement-request", tenant) + f"?year={YEAR}&month={MONTH}"
    with recording_queued_tasks(monkeypatch) as queued:
        assert client.post(asking)["Location"].startswith("/accounts/login/")
        assert login(outsider).post(asking).status_code == 404
        assert login(outsider).get(url("statements", tenant)).status_code == 404

    assert not Statement.objects.exists() and queued.sent == []


def test_bad_filters_are_refused_with_the_forms_words(tenant, login, viewer):
    response = login(viewer).post(url("statement-request", tenant) + "?month=13&number=abc")

    assert response.status_code == 400
    assert "cyfr" in response.text  # "A premium number is digits only", in Polish
    assert "Popraw filtry powyżej" in response.text and '<form method="get"' in response.text
    assert not Statement.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("pl", "3 zestawienia są już w przygotowaniu: poczekaj, aż któreś będzie gotowe"),
        ("en", "3 statements are being made already: wait for one to be ready"),
    ],
)
def test_a_tenant_has_a_few_statements_in_the_making_at_most(
    tenant, login, viewer, monkeypatch, language, words, django_capture_on_commit_callbacks
):
    from premium.views.billing import STATEMENTS_AT_ONCE

    assert STATEMENTS_AT_ONCE == 3
    for number in range(STATEMENTS_AT_ONCE):
        a_statement(tenant, number=f"70800000{number}")
    with recording_queued_tasks(monkeypatch) as queued:
        response = login(viewer).post(
            url("statement-request", tenant) + f"?year={YEAR}&month={MONTH}",
            follow=True,
            HTTP_ACCEPT_LANGUAGE=language,
        )

    assert Statement.objects.count() == STATEMENTS_AT_ONCE and queued.sent == []
    assert words in response.text
    # One made frees a place.
    Statement.objects.filter(number="708000000").update(state=Statement.State.READY)
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        login(viewer).post(url("statement-request", tenant) + f"?year={YEAR}&month={MONTH}")
    assert Statement.objects.count() == STATEMENTS_AT_ONCE + 1 and len(queued.sent) == 1


def test_the_list_shows_the_progress_in_words(tenant, login, viewer):
    a_statement(tenant, state=Statement.State.RENDERING, calls=40_000, calls_done=12_000)
    a_statement(tenant, state=Statement.State.READY, calls=1, calls_done=1, pages=1)
    a_statement(tenant)
    client = login(viewer)

    page = " ".join(client.get(url("statements", tenant)).text.replace(NBSP, " ").split())
    assert "12 000 z 40 000 połączeń" in page and '<progress value="30" max="100"' in page
    assert "w kolejce" in page and "wszystkie połączenia" in page
    english = " ".join(client.get(url("statements", tenant), HTTP_ACCEPT_LANGUAGE="en").text.split())
    assert "12,000 of 40,000 calls" in english.replace(NBSP, " ")
    assert f'<a href="{url("statements", tenant)}">' in page  # the refresh link, for a page without JS


def test_the_list_stops_polling_when_every_statement_is_final(tenant, login, viewer):
    statement = a_statement(tenant, state=Statement.State.RENDERING, calls=200, calls_done=50)
    client = login(viewer)

    polled = client.get(url("statements", tenant), HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and '<progress value="25"' in polled.text
    statement.state = Statement.State.READY
    statement.save()
    done = client.get(url("statements", tenant), HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and "every 2s" not in done.text
    assert url("statement-download", tenant, statement_id=statement.pk) in done.text


def test_only_a_ready_statement_of_the_tenant_is_downloaded(tenant, other_tenant, login, viewer):
    ready = a_statement(tenant, state=Statement.State.READY)
    ready.file.save("any.pdf", ContentFile(b"%PDF-1.7 statement"), save=True)
    queued = a_statement(tenant)
    foreign = a_statement(other_tenant, state=Statement.State.READY)
    client = login(viewer)

    response = client.get(url("statement-download", tenant, statement_id=ready.pk))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.7 statement"
    assert f"statement-{tenant.slug}-{YEAR}-{MONTH:02d}.pdf" in response["Content-Disposition"]
    assert client.get(url("statement-download", tenant, statement_id=queued.pk)).status_code == 404
    assert client.get(url("statement-download", tenant, statement_id=foreign.pk)).status_code == 404


def test_wrong_methods(tenant, login, viewer):
    client = login(viewer)
    assert client.get(url("statement-request", tenant)).status_code == 405
    assert client.post(url("statements", tenant)).status_code == 405


def test_statements_and_their_files_go_after_a_week(tenant):
    old = a_statement(tenant, state=Statement.State.READY, created_at=timezone.now() - timedelta(days=8))
    old.file.save("old.pdf", ContentFile(b"%PDF old"), save=True)
    recent = a_statement(tenant, state=Statement.State.READY)
    recent.file.save("new.pdf", ContentFile(b"%PDF new"), save=True)
    storage, old_name = old.file.storage, old.file.name

    assert tasks.delete_old_statements() == 1

    assert list(Statement.objects.all()) == [recent]
    assert not storage.exists(old_name) and storage.exists(recent.file.name)


def test_a_statement_is_made_in_the_requesters_language(tenant, login, viewer, monkeypatch):
    store_calls(tenant, 3)
    with recording_queued_tasks(monkeypatch):
        login(viewer).post(
            url("statement-request", tenant) + f"?year={YEAR}&month={MONTH}", HTTP_ACCEPT_LANGUAGE="en"
        )
    statement = Statement.objects.get(tenant=tenant)
    assert statement.language == "en"

    tasks.render_statement(statement.pk)

    statement.refresh_from_db()
    first_page = pdf_pages(statement)[0]
    assert "Numery-Premium.PL billing statement" in first_page and "Totals per number" in first_page


def test_with_no_statements_the_page_says_so_as_an_empty_list_not_a_table(tenant, viewer, login):
    """An empty table's one wide cell scrolled out of sight on a phone; the page's empty state is one block."""
    text = login(viewer).get(url("statements", tenant)).content.decode()
    assert '<p class="empty">Nie ma jeszcze zestawień' in text
    assert "premium-statements" not in text
