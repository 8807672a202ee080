"""Call history pages: ordering a report, following it, browsing, filtering, exporting, and recordings."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from spikon import tasks
from spikon.models import CallDirection, CallHistoryReport, CallRecord

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]
WARSAW = ZoneInfo("Europe/Warsaw")


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"spikon:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def a_call(tenant, minutes_ago: int = 0, **fields) -> CallRecord:
    values = {
        "started_at": timezone.now().replace(microsecond=0) - timedelta(minutes=minutes_ago),
        "source": "601234567",
        "destination": "583001100",
        "duration_seconds": 125,
        "state": "Odebrane",
        "direction": CallDirection.INCOMING,
        **fields,
    }
    return CallRecord.objects.create(tenant=tenant, **values)


def order_form(**overrides) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "direction": "2",
        "date_start": f"{today - timedelta(days=6):%Y-%m-%d}",
        "date_end": f"{today:%Y-%m-%d}",
        "recordings_only": "on",
        "number": "",
        **overrides,
    }


# --- ordering and following a report -----------------------------------------------------------------------


def test_an_operator_orders_a_report_and_its_poll_is_queued(
    login, operator, spikon_account, sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = login(operator).post(
            url("history-report-order", spikon_account.tenant), order_form(number="+48 601 234 567")
        )

    report = CallHistoryReport.objects.get()
    assert response.status_code == 302 and response["Location"] == url(
        "history-report", report.tenant, report_id=report.pk
    )
    assert (report.state, report.direction, report.recordings_only, report.number) == (
        "pending",
        2,
        True,
        "601234567",
    )
    assert report.ordered_by == operator and report.provider_report_id == 1
    assert len(queued) == 1 and sandbox.request_count("/api/call_list/order") == 1
    event = AuditEvent.objects.get(action="spikon.history.order")
    assert event.outcome == "success" and event.changes["number"] == [None, "601234567"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"date_start": "2024-01-01", "date_end": "2024-04-10"}, "at most 100 days"),
        ({"date_start": "2024-03-10", "date_end": "2024-03-01"}, "before the start"),
        ({"date_start": "kiedyś"}, "Enter a valid date"),
        ({"number": "601-abc"}, "phone number"),
        ({"direction": "7"}, "valid choice"),
    ],
)
def test_a_bad_order_is_refused_before_the_provider_hears_of_it(
    login, operator, spikon_account, sandbox, overrides, message
):
    response = login(operator).post(
        url("history-report-order", spikon_account.tenant), order_form(**overrides)
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not CallHistoryReport.objects.exists() and sandbox.request_count("/api/call_list/order") == 0


def test_a_range_of_exactly_100_days_is_accepted(login, operator, spikon_account, sandbox):
    start = timezone.localdate() - timedelta(days=99)
    response = login(operator).post(
        url("history-report-order", spikon_account.tenant), order_form(date_start=f"{start:%Y-%m-%d}")
    )
    assert response.status_code == 302 and CallHistoryReport.objects.count() == 1


def test_the_providers_refusal_is_shown_and_nothing_is_kept(login, operator, spikon_account, sandbox):
    sandbox.api_enabled = False
    response = login(operator).post(url("history-report-order", spikon_account.tenant), order_form())
    text = response.content.decode()
    assert response.status_code == 400 and "API turned off" in text
    assert not CallHistoryReport.objects.exists()
    assert AuditEvent.objects.get(action="spikon.history.order").outcome == "failure"


def test_an_unanswered_order_says_the_outcome_is_unknown(
    login, operator, spikon_account, sandbox, fast_timeouts
):
    sandbox.set_fault("/api/call_list/order", "timeout", times=1)
    response = login(operator).post(url("history-report-order", spikon_account.tenant), order_form())
    assert response.status_code == 400 and "Outcome unknown" in response.content.decode()
    assert sandbox.request_count("/api/call_list/order") == 1  # never sent again by itself


def test_ordering_needs_an_account_and_the_operator_role(login, operator, viewer, tenant):
    response = login(operator).post(url("history-report-order", tenant), order_form())
    assert response.status_code == 400 and "No SPIKON account is set up" in response.content.decode()
    assert login(viewer).post(url("history-report-order", tenant), order_form()).status_code == 403
    assert login(operator).get(url("history-report-order", tenant)).status_code == 405


def test_the_report_page_updates_in_place_and_stops_polling_when_done(
    login, viewer, spikon_account, sandbox, django_capture_on_commit_callbacks
):
    from spikon.tests.test_sync_call_center_and_jobs import ordered_report, poll_report

    report = ordered_report(spikon_account)
    client = login(viewer)
    page = client.get(url("history-report", report.tenant, report_id=report.pk))
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.content.decode()
    running = client.get(url("history-report", report.tenant, report_id=report.pk), HTTP_HX_REQUEST="true")
    assert running.status_code == 200 and 'data-state="pending"' in running.content.decode()

    for _ in range(2):
        report = poll_report(report, django_capture_on_commit_callbacks)
    done = client.get(url("history-report", report.tenant, report_id=report.pk), HTTP_HX_REQUEST="true")

    text = done.content.decode()
    assert done.status_code == 286 and 'data-state="stored"' in text and "hx-trigger" not in text
    assert f"{report.calls_stored} calls stored" in text


def test_the_report_list_polls_while_a_report_runs(login, viewer, tenant):
    report = CallHistoryReport.objects.create(
        tenant=tenant, provider_report_id=3, direction=0, date_start="2024-01-01", date_end="2024-01-02"
    )
    client = login(viewer)
    assert client.get(url("history-reports", tenant), HTTP_HX_REQUEST="true").status_code == 200
    CallHistoryReport.objects.filter(pk=report.pk).update(state="stored", poll_status="finished")
    assert client.get(url("history-reports", tenant), HTTP_HX_REQUEST="true").status_code == 286
    page = client.get(url("history-reports", tenant))
    assert page.status_code == 200 and "2024-01-01" in page.content.decode()
    assert "Order the report" not in page.content.decode()  # a viewer sees no order form


def test_fetching_again_requeues_a_stored_report(login, operator, tenant, django_capture_on_commit_callbacks):
    report = CallHistoryReport.objects.create(
        tenant=tenant,
        provider_report_id=3,
        direction=0,
        date_start="2024-01-01",
        date_end="2024-01-02",
        state="stored",
        poll_status="finished",
        generated_at=timezone.now() - timedelta(days=2),
        calls_stored=12,
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = login(operator).post(url("history-report-fetch-again", tenant, report_id=report.pk))
    report.refresh_from_db()
    assert response.status_code == 302 and len(queued) == 1
    assert (report.state, report.poll_status, report.attempts) == ("ready", "waiting", 0)

    # Again while it runs, or for a report the provider no longer keeps: refused.
    assert (
        login(operator).post(url("history-report-fetch-again", tenant, report_id=report.pk)).status_code
        == 302
    )
    CallHistoryReport.objects.filter(pk=report.pk).update(
        state="stored", generated_at=timezone.now() - timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        login(operator).post(url("history-report-fetch-again", tenant, report_id=report.pk))
    assert queued == [] and CallHistoryReport.objects.get(pk=report.pk).state == "stored"


def test_another_tenants_report_is_not_found(login, viewer, operator, other_tenant):
    theirs = CallHistoryReport.objects.create(
        tenant=other_tenant, provider_report_id=1, direction=0, date_start="2024-01-01", date_end="2024-01-02"
    )
    tenant = viewer.memberships.get().tenant
    assert login(viewer).get(url("history-report", tenant, report_id=theirs.pk)).status_code == 404
    assert (
        login(operator).post(url("history-report-fetch-again", tenant, report_id=theirs.pk)).status_code
        == 404
    )


# --- browsing and exporting --------------------------------------------------------------------------------


def test_the_calls_page_filters_and_pages_with_a_cursor(login, viewer, tenant):
    for minute in range(60):
        a_call(tenant, minute, source=f"60000{minute:04d}", has_recording=minute % 2 == 0)
    client = login(viewer)

    first = client.get(url("history", tenant))
    assert first.status_code == 200 and len(first.context["page"].items) == 50
    second = client.get(url("history", tenant), {"after": first.context["page"].next_cursor})
    shown = [call.pk for call in first.context["page"].items + second.context["page"].items]
    assert len(shown) == len(set(shown)) == 60 and second.context["page"].next_cursor is None

    assert [
        c.source for c in client.get(url("history", tenant), {"number": "600000007"}).context["page"].items
    ] == ["600000007"]
    assert len(client.get(url("history", tenant), {"recording": "yes"}).context["page"].items) == 30
    assert client.get(url("history", tenant), {"direction": "1"}).context["page"].items == []
    assert client.get(url("history", tenant), {"state": "Zajęte"}).context["page"].items == []
    partial = client.get(url("history", tenant), {"direction": "0"}, HTTP_HX_REQUEST="true")
    assert (
        partial.status_code == 200
        and b"<html" not in partial.content
        and b'id="call-results"' in partial.content
    )


def test_a_number_is_found_however_it_is_written(login, viewer, tenant):
    a_call(tenant, 1, source="601234567")
    a_call(tenant, 2, source="500000000", destination="48601234567")
    a_call(tenant, 3, source="601234568")
    client = login(viewer)
    for typed in ("601 234 567", "+48 601-234-567", "0048601234567"):
        page = client.get(url("history", tenant), {"number": typed})
        assert len(page.context["page"].items) == 2, typed


def test_the_date_filter_uses_local_days(login, viewer, tenant):
    a_call(tenant, started_at=datetime(2024, 3, 1, 0, 30, tzinfo=WARSAW))  # 23:30 UTC the day before
    a_call(tenant, started_at=datetime(2024, 3, 2, 23, 50, tzinfo=WARSAW))
    page = login(viewer).get(url("history", tenant), {"date_from": "2024-03-01", "date_to": "2024-03-01"})
    assert [timezone.localtime(c.started_at, WARSAW).day for c in page.context["page"].items] == [1]


def test_a_bad_filter_or_cursor_shows_a_clear_error_and_no_500(login, viewer, tenant):
    a_call(tenant)
    client = login(viewer)
    bad = client.get(url("history", tenant), {"date_from": "2024-13-45", "number": "abc"})
    assert bad.status_code == 200 and bad.context["page"].items == [] and "valid date" in bad.content.decode()
    assert len(client.get(url("history", tenant), {"after": "not-a-cursor"}).context["page"].items) == 1
    assert client.get(url("history-export", tenant), {"date_from": "x"}).status_code == 400


def test_the_calls_page_costs_the_same_queries_whatever_the_rows(
    login, viewer, tenant, django_assert_max_num_queries
):
    client = login(viewer)
    for minute in range(3):
        a_call(tenant, minute)
    with django_assert_max_num_queries(12) as few:
        client.get(url("history", tenant))
    for minute in range(3, 120):
        a_call(tenant, minute, has_recording=True, recording_url="https://x/1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("history", tenant))


def test_the_export_streams_the_filtered_calls_safely(login, viewer, tenant, other_tenant):
    a_call(tenant, 1, source='=HYPERLINK("http://evil")', state="Odebrane")
    a_call(
        tenant, 2, source="+48601234567", direction=None, recording_file_name="rec.wav", has_recording=True
    )
    a_call(tenant, 3, direction=CallDirection.OUTGOING)
    a_call(other_tenant, 1, source="999999999")

    response = login(viewer).get(url("history-export", tenant), {"direction": "unknown"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][5] == "State" and len(rows) == 2
    assert rows[1][2] == "'+48601234567" and rows[1][6] == "rec.wav" and rows[1][1] == ""
    assert rows[1][5] == "answered"  # the provider's "Odebrane", in the viewer's language

    everything = login(viewer).get(url("history-export", tenant))
    text = b"".join(everything.streaming_content).decode()
    assert "'=HYPERLINK" in text and "999999999" not in text and len(text.splitlines()) == 4

    raw = login(viewer).get(url("history-export", tenant), {"variant": "raw"})
    rows = list(csv.reader(io.StringIO(b"".join(raw.streaming_content).decode())))
    assert rows[0] == [
        "started_at",
        "direction",
        "source",
        "destination",
        "duration_seconds",
        "state",
        "recording",
    ]
    assert [row[5] for row in rows[1:]] == ["Odebrane"] * 3
    assert sorted(row[1] for row in rows[1:]) == sorted(
        ["", str(CallDirection.INCOMING), str(CallDirection.OUTGOING)]
    )


# --- recordings --------------------------------------------------------------------------------------------


def recorded_call(account, sandbox) -> CallRecord:
    """A call whose recording link comes from the sandbox's own report, as a real fetch would store it."""
    from spikon.tests.test_sync_call_center_and_jobs import ordered_report

    report = ordered_report(account, recordings_only=True)
    sandbox.report_polls = 0
    for _ in range(2):
        CallHistoryReport.objects.filter(pk=report.pk).update(next_poll_at=timezone.now())
        tasks.poll_call_history_report(report.pk)
    return CallRecord.objects.filter(tenant=account.tenant).exclude(recording_url="").first()


def test_a_recording_is_fetched_once_then_played_from_storage(
    login, viewer, spikon_account, sandbox, media_root
):
    call = recorded_call(spikon_account, sandbox)
    client = login(viewer)

    player = client.get(url("history-call", call.tenant, call_id=call.public_id), HTTP_HX_REQUEST="true")
    text = player.content.decode()
    assert player.status_code == 200 and "<audio" in text and "autoplay" in text
    audio = client.get(url("history-recording", call.tenant, call_id=call.public_id))
    body = b"".join(audio.streaming_content)
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav" and body[:4] == b"RIFF"
    assert audio["Accept-Ranges"] == "bytes" and "private" in audio["Cache-Control"]
    again = client.get(url("history-recording", call.tenant, call_id=call.public_id))
    assert again.status_code == 200
    assert sandbox.request_count("/channels/lists/call/get_playback_file") == 1
    call.refresh_from_db()
    assert call.recording_audio.name.startswith(f"spikon/{call.tenant_id}/callrecord/")

    part = client.get(url("history-recording", call.tenant, call_id=call.public_id), HTTP_RANGE="bytes=0-9")
    assert part.status_code == 206 and b"".join(part.streaming_content) == body[:10]
    assert part["Content-Range"] == f"bytes 0-9/{len(body)}"
    assert (
        client.get(
            url("history-recording", call.tenant, call_id=call.public_id), HTTP_RANGE="bytes=999999-"
        ).status_code
        == 416
    )
    download = client.get(url("history-recording", call.tenant, call_id=call.public_id), {"download": "1"})
    assert download.status_code == 200 and download["Content-Disposition"].startswith(
        'attachment; filename="call-'
    )


def test_a_recording_that_cannot_be_fetched_says_why(login, viewer, spikon_account, sandbox, media_root):
    call = recorded_call(spikon_account, sandbox)
    sandbox.set_fault("/channels/lists/call/get_playback_file", "500")
    client = login(viewer)

    page = client.get(url("history-call", call.tenant, call_id=call.public_id))
    assert (
        page.status_code == 200
        and "cannot be fetched" in page.content.decode()
        and "<audio" not in page.content.decode()
    )
    audio = client.get(url("history-recording", call.tenant, call_id=call.public_id))
    assert audio.status_code == 502 and "cannot be fetched" in audio.content.decode()


def test_an_ftp_recording_is_named_not_played(login, viewer, tenant):
    call = a_call(tenant, has_recording=True, recording_file_name="20240301-101010-601234567-583001100.wav")
    client = login(viewer)
    listing = client.get(url("history", tenant)).content.decode()
    assert "FTP:" in listing and "20240301-101010-601234567-583001100.wav" in listing
    audio = client.get(url("history-recording", tenant, call_id=call.public_id))
    assert audio.status_code == 404 and "FTP" in audio.content.decode()
    assert (
        client.get(url("history-recording", tenant, call_id=a_call(tenant, 5).public_id)).status_code == 404
    )


def test_the_recording_proxy_refuses_other_tenants(
    login, outsider, viewer, spikon_account, sandbox, media_root, other_tenant
):
    call = recorded_call(spikon_account, sandbox)
    login(viewer).get(url("history-recording", call.tenant, call_id=call.public_id))
    client = login(outsider)
    # Not a member: 404. A member of another tenant using this call's id under their own tenant: 404 too.
    assert client.get(url("history-recording", call.tenant, call_id=call.public_id)).status_code == 404
    assert client.get(url("history-recording", other_tenant, call_id=call.public_id)).status_code == 404
    assert client.get(url("history-call", other_tenant, call_id=call.public_id)).status_code == 404
    assert sandbox.request_count("/channels/lists/call/get_playback_file") == 1


def test_recording_views_take_only_get(login, viewer, tenant):
    call = a_call(tenant)
    client = login(viewer)
    assert client.post(url("history-recording", tenant, call_id=call.public_id)).status_code == 405
    assert client.post(url("history-call", tenant, call_id=call.public_id)).status_code == 405
    assert client.post(url("history", tenant)).status_code == 405
    assert client.post(url("history-export", tenant)).status_code == 405


def test_history_in_polish(login, viewer, tenant, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    a_call(tenant, recording_file_name="nagranie.wav", has_recording=True)
    text = login(viewer).get(url("history", tenant)).content.decode()
    assert "Historia połączeń" in text and "przychodzące" in text and "Eksportuj" in text
