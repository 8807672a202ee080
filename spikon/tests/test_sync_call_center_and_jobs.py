"""Against the sandbox over real HTTP: the report and announcement jobs step by step, the call center,
voices and announcement syncs, the stored calls' upserts and the monitor snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from accounts.models import SyncStatus
from providers.tasks import sweep_jobs
from spikon import services, sync, tasks
from spikon.client import CallRecord as ApiCallRecord
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    CallDirection,
    CallHistoryReport,
    CallRecord,
    CampaignMonitorSnapshot,
    PhoneAccount,
    SpikonAccount,
    TtsAnnouncement,
    TtsLanguage,
    TtsVoice,
)
from spikon.sandbox import DEMO_API_KEY, REPORT_LIFETIME

pytestmark = pytest.mark.django_db
WARSAW = ZoneInfo("Europe/Warsaw")


def ordered_report(account: SpikonAccount, **fields) -> CallHistoryReport:
    today = timezone.localdate()
    values = {
        "direction": CallDirection.BOTH,
        "date_start": today - timedelta(days=99),
        "date_end": today,
        "recordings_only": False,
        "number": "",
        **fields,
    }
    return services.order_call_history(account, None, **values)


def poll(model, task, pk: int, django_capture_on_commit_callbacks) -> int:
    """Run one poll now (as if it were due); returns how many next polls it queued."""
    model.objects.filter(pk=pk).update(next_poll_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task(pk)
    # A finished job also announces its event (providers.events) after commit: that is not a poll.
    return len([c for c in callbacks if not getattr(c, "__qualname__", "").startswith("announce.")])


def poll_report(report, capture) -> CallHistoryReport:
    poll(CallHistoryReport, tasks.poll_call_history_report, report.pk, capture)
    report.refresh_from_db()
    return report


# --- the call history report -------------------------------------------------------------------------------


def test_a_report_goes_pending_then_ready_and_stored(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    report = ordered_report(spikon_account)
    assert (report.state, report.poll_status, report.attempts) == ("pending", "waiting", 0)

    nudges = poll(
        CallHistoryReport, tasks.poll_call_history_report, report.pk, django_capture_on_commit_callbacks
    )
    report.refresh_from_db()
    # The sandbox generates a report on the second check of call_list/list.
    assert (report.state, report.poll_status, report.attempts, nudges) == ("pending", "waiting", 1, 1)
    assert report.next_poll_at > timezone.now() and sandbox.request_count("/api/call_list/show") == 0

    nudges = poll(
        CallHistoryReport, tasks.poll_call_history_report, report.pk, django_capture_on_commit_callbacks
    )
    report.refresh_from_db()
    assert (report.state, report.poll_status, nudges) == ("stored", "finished", 0)
    assert report.generated_at is not None and report.finished_at is not None and report.last_error == ""
    assert report.calls_stored == CallRecord.objects.filter(tenant=report.tenant).count() > 200
    assert sandbox.request_count("/api/call_list/show") == 1


def test_stored_calls_keep_the_providers_local_time_as_an_aware_moment(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    report = ordered_report(spikon_account, direction=CallDirection.INCOMING, recordings_only=True)
    for _ in range(2):
        report = poll_report(report, django_capture_on_commit_callbacks)
    answer = spikon_account.client(in_request=True).call_history(report.provider_report_id)
    newest = CallRecord.objects.filter(tenant=report.tenant).order_by("-started_at").first()
    assert newest.started_at == answer[0].started_at
    assert timezone.localtime(newest.started_at, WARSAW).replace(tzinfo=None) == answer[0].started_at.replace(
        tzinfo=None
    )
    assert (
        CallRecord.objects.filter(tenant=report.tenant).exclude(direction=CallDirection.INCOMING).count() == 0
    )
    assert not CallRecord.objects.filter(tenant=report.tenant, has_recording=False).exists()
    ftp = CallRecord.objects.filter(tenant=report.tenant).exclude(recording_file_name="")
    assert ftp.exists() and all(call.recording_is_ftp and call.recording_url == "" for call in ftp)


def test_fetching_again_and_overlapping_reports_add_no_duplicates(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    first = ordered_report(spikon_account)
    for _ in range(2):
        first = poll_report(first, django_capture_on_commit_callbacks)
    stored = CallRecord.objects.count()
    ids = set(CallRecord.objects.values_list("public_id", flat=True))

    CallHistoryReport.objects.filter(pk=first.pk).update(state="ready", poll_status="waiting")
    first = poll_report(first, django_capture_on_commit_callbacks)
    recent = ordered_report(spikon_account, date_start=timezone.localdate() - timedelta(days=10))
    for _ in range(2):
        recent = poll_report(recent, django_capture_on_commit_callbacks)

    assert first.state == recent.state == "stored" and recent.calls_stored > 0
    assert CallRecord.objects.count() == stored
    assert set(CallRecord.objects.values_list("public_id", flat=True)) == ids


def test_a_report_not_ready_at_show_is_asked_again(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    sandbox.report_polls = 50
    report = ordered_report(spikon_account)
    # The list said "generated" (a report of another process, say), but show answers -9 Not ready.
    CallHistoryReport.objects.filter(pk=report.pk).update(state="ready")

    report = poll_report(report, django_capture_on_commit_callbacks)

    assert (report.state, report.poll_status, report.attempts) == ("ready", "waiting", 1)
    assert report.next_poll_at > timezone.now()
    assert sandbox.request_count("/api/call_list/show") == 1
    assert not CallRecord.objects.exists()


def test_a_report_the_provider_no_longer_keeps_expires(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    report = ordered_report(spikon_account)
    sandbox.now = lambda: datetime.now(WARSAW) + REPORT_LIFETIME + timedelta(days=1)

    with translation.override("en"):
        report = poll_report(report, django_capture_on_commit_callbacks)

    assert (report.state, report.poll_status) == ("expired", "failed")
    assert "month" in report.last_error


def test_a_report_older_than_a_month_expires_without_asking(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    report = ordered_report(spikon_account)
    CallHistoryReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(days=31))

    report = poll_report(report, django_capture_on_commit_callbacks)

    assert (report.state, report.poll_status) == ("expired", "failed")
    assert sandbox.request_count("/api/call_list/list") == 0


def test_a_refused_key_stops_the_report_until_a_test_connection_succeeds(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    report = ordered_report(spikon_account)
    sandbox.api_enabled = False

    report = poll_report(report, django_capture_on_commit_callbacks)

    assert (report.state, report.poll_status) == ("pending", "credentials")
    assert "-4" in report.last_error and "API turned off" in report.last_error
    assert not services.test_connection(spikon_account).ok
    assert CallHistoryReport.objects.get(pk=report.pk).poll_status == "credentials"
    # Turned on again in SPIKON's panel: the key is the same, a Test connection proves it works.
    sandbox.api_enabled = True
    with django_capture_on_commit_callbacks() as nudges:
        assert services.test_connection(spikon_account).ok
    report.refresh_from_db()
    assert (report.state, report.poll_status, report.last_error, len(nudges)) == ("pending", "waiting", "", 1)


def test_an_unreachable_provider_is_asked_again_after_a_growing_wait(
    spikon_account, sandbox, django_capture_on_commit_callbacks
):
    report = ordered_report(spikon_account)
    sandbox.set_fault("/api/call_list/list", "500")

    report = poll_report(report, django_capture_on_commit_callbacks)
    first_wait = report.next_poll_at - report.last_polled_at
    report = poll_report(report, django_capture_on_commit_callbacks)
    second_wait = report.next_poll_at - report.last_polled_at

    assert (report.state, report.poll_status, report.attempts) == ("pending", "waiting", 2)
    assert "HTTP 500" in report.last_error
    assert second_wait > first_wait


def test_a_report_that_never_comes_ends_failed(spikon_account, sandbox, django_capture_on_commit_callbacks):
    sandbox.report_polls = 1000
    report = ordered_report(spikon_account)
    CallHistoryReport.objects.filter(pk=report.pk).update(attempts=CallHistoryReport.MAX_ATTEMPTS - 1)

    nudges = poll(
        CallHistoryReport, tasks.poll_call_history_report, report.pk, django_capture_on_commit_callbacks
    )

    report.refresh_from_db()
    assert (report.state, report.poll_status, nudges) == ("failed", "failed", 0)
    assert report.last_error


def test_a_report_without_an_account_key_fails(spikon_account, django_capture_on_commit_callbacks):
    report = ordered_report(spikon_account)
    SpikonAccount.objects.filter(pk=spikon_account.pk).update(api_key="")

    report = poll_report(report, django_capture_on_commit_callbacks)

    assert (report.state, report.poll_status) == ("failed", "failed")


def test_both_directions_are_told_apart_by_the_tenants_own_numbers(tenant):
    PhoneAccount.objects.create(tenant=tenant, provider_id=1, number="583001100")
    report = CallHistoryReport.objects.create(
        tenant=tenant,
        provider_report_id=1,
        direction=CallDirection.BOTH,
        date_start="2024-01-01",
        date_end="2024-01-31",
    )
    at = datetime(2024, 1, 5, 10, 0, tzinfo=WARSAW)

    def record(minute: int, source: str, destination: str) -> ApiCallRecord:
        return ApiCallRecord(at + timedelta(minutes=minute), source, destination, 60, "Odebrane", None, None)

    count = sync.store_calls(
        report,
        [
            record(0, "601234567", "583001100"),
            record(1, "+48 583 001 100", "601234567"),
            record(2, "601234567", "601999888"),
            record(2, "601234567", "601999888"),  # the same call twice in one answer: one row
        ],
    )

    directions = list(CallRecord.objects.order_by("started_at").values_list("direction", flat=True))
    assert count == 3 and directions == [CallDirection.INCOMING, CallDirection.OUTGOING, None]
    # A one-way report knows better; a later both-ways report does not undo it.
    one_way = CallHistoryReport.objects.create(
        tenant=tenant,
        provider_report_id=2,
        direction=CallDirection.OUTGOING,
        date_start="2024-01-01",
        date_end="2024-01-31",
    )
    sync.store_calls(one_way, [record(2, "601234567", "601999888")])
    sync.store_calls(report, [record(2, "601234567", "601999888")])
    assert CallRecord.objects.get(started_at=at + timedelta(minutes=2)).direction == CallDirection.OUTGOING


def test_hostile_provider_text_is_stored_cut_to_size(tenant):
    report = CallHistoryReport.objects.create(
        tenant=tenant,
        provider_report_id=1,
        direction=CallDirection.INCOMING,
        date_start="2024-01-01",
        date_end="2024-01-31",
    )
    at = datetime(2024, 1, 5, 10, 0, tzinfo=WARSAW)
    sync.store_calls(
        report,
        [
            ApiCallRecord(
                at,
                "<script>alert(1)</script>" * 5,
                "583001100",
                5,
                "x" * 300,
                "https://x/" + "a" * 2000,
                None,
            )
        ],
    )
    call = CallRecord.objects.get()
    assert len(call.source) == 64 and len(call.state) == 64
    assert call.recording_url == "" and not call.has_recording  # a link cut short would fetch nothing


# --- announcements -----------------------------------------------------------------------------------------


def test_an_announcement_is_followed_until_its_audio_is_stored(
    spikon_account, sandbox, media_root, django_capture_on_commit_callbacks
):
    provider_id = spikon_account.client(in_request=True).generate_tts("Ewa", "Test", "Dzień dobry.")
    item = TtsAnnouncement(tenant=spikon_account.tenant, provider_id=provider_id, name="Test", voice="Ewa")
    item.start_polling()
    item.save()

    states = []
    for _ in range(2):
        nudges = poll(TtsAnnouncement, tasks.poll_announcement, item.pk, django_capture_on_commit_callbacks)
        item.refresh_from_db()
        states.append((item.state, item.poll_status, nudges))

    assert states == [("pending", "waiting", 1), ("stored", "finished", 0)]
    assert item.audio_mp3.name.startswith(f"spikon/{item.tenant_id}/ttsannouncement/")
    assert item.audio_mp3.name.endswith(".mp3") and item.audio_wav.name.endswith(".wav")
    assert default_storage.open(item.audio_mp3.name).read(3) == b"ID3"
    assert default_storage.open(item.audio_wav.name).read(4) == b"RIFF"
    assert sandbox.request_count("/api/tts/download") == 2
    assert sandbox.request_count("/api/tts/generate") == 1  # following it never generates again


def test_an_announcement_deleted_at_the_provider_fails_its_job(
    spikon_account, sandbox, media_root, django_capture_on_commit_callbacks
):
    item = TtsAnnouncement(tenant=spikon_account.tenant, provider_id=4242, name="Gone")
    item.start_polling()
    item.save()

    poll(TtsAnnouncement, tasks.poll_announcement, item.pk, django_capture_on_commit_callbacks)

    item.refresh_from_db()
    assert (item.state, item.poll_status) == ("failed", "failed") and "4242" in item.last_error


def test_a_broken_download_keeps_nothing_and_tries_again(
    spikon_account, sandbox, media_root, django_capture_on_commit_callbacks
):
    item = TtsAnnouncement(tenant=spikon_account.tenant, provider_id=1, name="Powitanie", state="ready")
    item.start_polling()
    item.save()
    sandbox.set_fault("/api/tts/download", "500")

    poll(TtsAnnouncement, tasks.poll_announcement, item.pk, django_capture_on_commit_callbacks)

    item.refresh_from_db()
    assert (item.state, item.poll_status) == ("ready", "waiting") and not item.audio_mp3
    assert not media_root.exists() or not any(path.is_file() for path in media_root.rglob("*"))


def test_the_announcement_sync_adds_new_ones_and_removes_deleted_ones(spikon_account, sandbox, media_root):
    gone = TtsAnnouncement.objects.create(
        tenant=spikon_account.tenant,
        provider_id=99,
        name="Old",
        state="stored",
        created_at=timezone.now() - timedelta(days=1),
    )
    to_poll = sync.sync_announcements(spikon_account.tenant_id)

    rows = TtsAnnouncement.objects.filter(tenant=spikon_account.tenant).order_by("provider_id")
    assert [(row.provider_id, row.name, row.state) for row in rows] == [
        (1, "Powitanie", "ready"),
        (2, "Poza godzinami pracy", "ready"),
    ]
    assert sorted(to_poll) == sorted(row.pk for row in rows)
    assert all(row.next_poll_at <= timezone.now() for row in rows)
    assert not TtsAnnouncement.objects.filter(pk=gone.pk).exists()
    assert sync.sync_announcements(spikon_account.tenant_id) == []  # nothing new the second time


def test_the_announcement_sync_keeps_one_generated_while_it_read(spikon_account, sandbox):
    known = sync.known_announcements(spikon_account.tenant_id)
    listed = spikon_account.client(in_request=True).tts_announcements()
    # Generated from a page after the list was read: the provider's id is saved before the sync writes.
    fresh = TtsAnnouncement.objects.create(
        tenant=spikon_account.tenant, provider_id=3, name="New", state="pending"
    )

    sync.save_announcements(spikon_account.tenant_id, listed, known)

    assert TtsAnnouncement.objects.filter(pk=fresh.pk).exists()


def test_the_voices_sync_stores_languages_and_their_voices(spikon_account, sandbox):
    sync.sync_voices(spikon_account.tenant_id)
    sync.sync_voices(spikon_account.tenant_id)

    assert TtsLanguage.objects.filter(tenant=spikon_account.tenant).count() == 8
    polish = TtsVoice.objects.filter(language__code="pl-PL").order_by("name")
    assert [(voice.name, voice.gender) for voice in polish] == [
        ("Ewa", "F"),
        ("Jacek", "M"),
        ("Jan", "M"),
        ("Maja", "F"),
    ]
    assert SyncStatus.objects.get(resource="voices").last_success_at is not None


# --- call center -------------------------------------------------------------------------------------------


def test_the_call_center_sync_stores_campaigns_and_agents(spikon_account, sandbox):
    sync.sync_call_center(spikon_account.tenant_id)

    campaigns = CallCenterCampaign.objects.filter(tenant=spikon_account.tenant)
    assert [(c.provider_id, c.name) for c in campaigns] == [(1, "Infolinia"), (2, "Windykacja")]
    agent = CallCenterAgent.objects.get(tenant=spikon_account.tenant, provider_id=4)
    assert (agent.name, agent.incoming_campaign_ids, agent.outgoing_campaign_ids) == (
        "Paweł Wójcik",
        [2],
        [1, 2],
    )
    assert agent.default_outgoing_campaign_id == 1
    assert CallCenterAgent.objects.get(provider_id=3).default_outgoing_campaign_id is None


def test_the_call_center_sync_keeps_a_change_made_while_it_read(spikon_account, sandbox):
    sync.sync_call_center(spikon_account.tenant_id)
    agent = CallCenterAgent.objects.get(provider_id=1)
    campaigns = spikon_account.client(in_request=True).call_center_campaigns()
    agents = spikon_account.client(in_request=True).call_center_agents()
    # The operator adds the agent to campaign 2 after the sync read the provider, before it writes.
    CallCenterAgent.objects.filter(pk=agent.pk).update(
        incoming_campaign_ids=[1, 2], updated_at=timezone.now()
    )

    sync.save_call_center(spikon_account.tenant_id, campaigns, agents, timezone.now() - timedelta(seconds=5))

    agent.refresh_from_db()
    assert agent.incoming_campaign_ids == [1, 2]


def test_a_failing_sync_keeps_the_copy_and_records_the_error(spikon_account, sandbox):
    sync.sync_call_center(spikon_account.tenant_id)
    sandbox.set_fault("/api/cc_agent/list", "html")

    sync.sync_call_center(spikon_account.tenant_id)

    assert CallCenterAgent.objects.filter(tenant=spikon_account.tenant).count() == 5
    status = SyncStatus.objects.get(resource="callcenter")
    assert status.failing_since is not None and "502" in status.last_error


def _watched(spikon_account) -> CampaignMonitorSnapshot:
    sync.sync_call_center(spikon_account.tenant_id)
    snapshot, start = CampaignMonitorSnapshot.watch(CallCenterCampaign.objects.get(provider_id=1))
    assert start and snapshot.refresh_due_at is not None
    return snapshot


def test_the_monitor_keeps_the_last_snapshot_when_the_provider_stops_answering(
    spikon_account, sandbox, monkeypatch
):
    snapshot = _watched(spikon_account)
    monkeypatch.setattr(sync, "MONITOR_MIN_INTERVAL", timedelta(0))

    assert sync.refresh_monitor(snapshot.pk)
    first = CampaignMonitorSnapshot.objects.get(pk=snapshot.pk)
    assert first.data["members"] and first.last_error == "" and first.failing_since is None
    sandbox.set_fault("/api/cc_monitor/show", "500")
    assert sync.refresh_monitor(snapshot.pk), "a failing provider does not stop the refreshes"

    failing = CampaignMonitorSnapshot.objects.get(pk=snapshot.pk)
    assert failing.data == first.data and failing.taken_at == first.taken_at
    assert failing.failing_since is not None and "HTTP 500" in failing.last_error


def test_refreshes_of_one_campaign_share_one_monitor_call(spikon_account, sandbox):
    snapshot = _watched(spikon_account)

    going_on = [sync.refresh_monitor(snapshot.pk) for _ in range(5)]

    assert going_on == [True, False, False, False, False], "one refresh goes on, the others stop"
    assert sandbox.request_count("/api/cc_monitor/show") == 1


def test_the_refreshes_stop_when_nobody_watches_and_start_again_with_a_screen(spikon_account, sandbox):
    snapshot = _watched(spikon_account)
    CampaignMonitorSnapshot.objects.filter(pk=snapshot.pk).update(
        watched_until=timezone.now() - timedelta(seconds=1)
    )

    assert not sync.refresh_monitor(snapshot.pk)

    assert sandbox.request_count("/api/cc_monitor/show") == 0
    assert CampaignMonitorSnapshot.objects.get(pk=snapshot.pk).refresh_due_at is None
    _again, start = CampaignMonitorSnapshot.watch(snapshot.campaign)
    assert start, "the next screen plans a refresh again"
    _again, start = CampaignMonitorSnapshot.watch(snapshot.campaign)
    assert not start, "one is planned already"
    CampaignMonitorSnapshot.objects.filter(pk=snapshot.pk).update(
        refresh_due_at=timezone.now() - CampaignMonitorSnapshot.REFRESH_LATE - timedelta(seconds=1)
    )
    _again, start = CampaignMonitorSnapshot.watch(snapshot.campaign)
    assert start, "a planned refresh that never came (a lost message) is planned anew"


# --- the sweeper and the beat ------------------------------------------------------------------------------


def test_the_sweeper_nudges_overdue_jobs_and_settles_abandoned_generations(spikon_account, monkeypatch):
    report = ordered_report(spikon_account)
    fresh = ordered_report(spikon_account)
    CallHistoryReport.objects.filter(pk=report.pk).update(next_poll_at=timezone.now() - timedelta(minutes=1))
    announcement = TtsAnnouncement(tenant=spikon_account.tenant, provider_id=1, name="A", state="ready")
    announcement.start_polling(timezone.now() - timedelta(minutes=5))
    announcement.save()
    abandoned = TtsAnnouncement.objects.create(
        tenant=spikon_account.tenant,
        name="B",
        state="submitting",
        created_at=timezone.now() - timedelta(minutes=3),
    )
    reports, announcements = [], []
    monkeypatch.setattr(tasks.poll_call_history_report, "delay", reports.append)
    monkeypatch.setattr(tasks.poll_announcement, "delay", announcements.append)

    sweep_jobs()

    assert reports == [report.pk] and fresh.pk not in reports
    assert announcements == [announcement.pk]
    abandoned.refresh_from_db()
    assert abandoned.state == "unknown" and abandoned.last_error


def test_the_beat_schedule_fans_out_the_call_center_and_announcement_syncs(settings, tenant, other_tenant, monkeypatch):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["providers-sweep-jobs"]["task"] == "providers.tasks.sweep_jobs"
    assert schedule["spikon-sync-call-center-and-announcements"]["args"] == (["callcenter", "announcements"],)
    SpikonAccount.objects.create(tenant=tenant, api_key=DEMO_API_KEY)
    SpikonAccount.objects.create(tenant=other_tenant, api_key="")
    queued = []
    monkeypatch.setattr(
        sync, "queue", lambda tenant, resource, scheduled: queued.append((tenant.slug, resource))
    )

    tasks.queue_scheduled_syncs(["callcenter", "announcements", "not-a-resource"])

    assert queued == [("acme", "callcenter"), ("acme", "announcements")]
