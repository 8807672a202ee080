"""The call history and announcement jobs on a real Celery worker (Redis in CI) against the sandbox over HTTP:
each job's row is the truth, messages are only nudges, and the sweeper recovers a lost one."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from providers.tasks import sweep_jobs
from spikon import tasks
from spikon.models import CallDirection, CallHistoryReport, CallRecord, SpikonAccount, TtsAnnouncement

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def due_report(tenant, provider_report_id: int) -> CallHistoryReport:
    """A report row due a minute ago whose Celery message never went out."""
    today = timezone.localdate()
    report = CallHistoryReport(
        tenant=tenant,
        provider_report_id=provider_report_id,
        direction=CallDirection.BOTH,
        date_start=today - timedelta(days=30),
        date_end=today,
        recordings_only=False,
    )
    report.start_polling(timezone.now() - timedelta(minutes=1))
    report.save()
    return report


def test_reports_and_an_announcement_reach_their_final_states_on_a_real_worker(
    media_root, real_worker, login, operator, spikon_account, sandbox, other_tenant
):
    client = login(operator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    tenant = spikon_account.tenant
    today = timezone.localdate()
    # Pending -> ready -> stored: ordered from the page, then checked until generated and fetched.
    ordered = client.post(
        reverse("spikon:history-report-order", args=[tenant.slug]),
        {
            "direction": "2",
            "date_start": f"{today - timedelta(days=60):%Y-%m-%d}",
            "date_end": f"{today:%Y-%m-%d}",
        },
    )
    assert ordered.status_code == 302
    # Expired: a report the provider no longer lists.
    expired = due_report(tenant, 999)
    # Refused credentials: another tenant whose key the provider refuses; its report waits for them.
    refused_account = SpikonAccount.objects.create(
        tenant=other_tenant, api_key="wrong-key-0000", base_url=spikon_account.base_url
    )
    refused = due_report(refused_account.tenant, 1)
    for report in (expired, refused):
        tasks.poll_call_history_report.delay(report.pk)
    # An announcement: price, confirm, generate; then followed until its audio is stored.
    tasks.sync_voices(tenant.pk, "voices")
    priced = client.post(
        reverse("spikon:tts-price", args=[tenant.slug]),
        {"language": "pl-PL", "voice": "Jacek", "name": "Kolejka", "text": "Wszyscy konsultanci są zajęci."},
    )
    quote = re.search(r'name="quote" value="([^"]+)"', priced.content.decode()).group(1)
    assert (
        client.post(reverse("spikon:tts-generate", args=[tenant.slug]), {"quote": quote}).status_code == 302
    )

    def finished() -> bool:
        running = CallHistoryReport.objects.exclude(state__in=CallHistoryReport.FINAL_STATES)
        return not running.exclude(poll_status="credentials").exists() and (
            TtsAnnouncement.objects.filter(state="stored").exists()
        )

    assert wait_for(finished), real_worker.log_path.read_text()[-4000:]
    report = CallHistoryReport.objects.get(tenant=tenant, provider_report_id=1)
    assert (report.state, report.poll_status) == ("stored", "finished") and report.generated_at is not None
    assert report.calls_stored == CallRecord.objects.filter(tenant=tenant).count() > 0
    expired.refresh_from_db()
    refused.refresh_from_db()
    assert (expired.state, expired.poll_status) == ("expired", "failed")
    assert (refused.state, refused.poll_status) == (
        "pending",
        "credentials",
    ) and "Unknown API key" in refused.last_error
    announcement = TtsAnnouncement.objects.get(state="stored")
    assert default_storage.open(announcement.audio_mp3.name).read(3) == b"ID3"
    assert announcement.audio_wav.name.endswith(".wav") and announcement.attempts == 2
    assert (
        sandbox.request_count("/api/tts/generate") == 1 and sandbox.request_count("/api/call_list/order") == 1
    )


def test_the_sweeper_recovers_a_report_whose_message_was_lost(real_worker, spikon_account, sandbox):
    today = timezone.localdate()
    provider_report_id = spikon_account.client(in_request=True).order_call_history(today - timedelta(days=7), today)
    report = due_report(spikon_account.tenant, provider_report_id)
    assert sandbox.request_count("/api/call_list/list") == 0

    sweep_jobs()
    sweep_jobs()  # a second nudge at once (two sweepers, a message found again): no second poll

    stored = wait_for(lambda: CallHistoryReport.objects.filter(pk=report.pk, state="stored").exists())
    assert stored, real_worker.log_path.read_text()[-4000:]
    # The sweeper's nudge, then the job's own next one: two checks and one fetch, whatever the duplicates.
    assert sandbox.request_count("/api/call_list/list") == 2
    assert sandbox.request_count("/api/call_list/show") == 1
