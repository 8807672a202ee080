"""Every SPIKON call a page or a task makes, under every provider fault (table-driven).

Pages: a clear Polish message, never an error page, and the local copy (rows and stored files) unchanged;
the rows that record an attempt (a click-to-call, an SMS submission, a generate request, the monitor's
snapshot) say refused or unknown, never success. Syncs: the failure and its reason recorded, the old data
kept, the page saying since when the provider does not answer, and the scheduled fan-out queueing nothing
while the backoff lasts. Polled jobs: the reason kept on the job, the next check after the backoff, the
sweeper nudging nothing before then, and the job's page showing why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts import sync as sync_state
from accounts.models import AuditEvent, SyncStatus
from provider_api.errors import ProviderError
from provider_api.wsgi_server import Mount, serve_in_thread
from providers.once import new_action_key
from providers.tasks import sweep_jobs
from providers.texts import shown
from spikon import sync, tasks
from spikon.client import _WholeAudio
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    CallHistoryReport,
    CallRecord,
    CampaignMonitorSnapshot,
    ClickToCall,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    PhoneBookImport,
    PhoneBookImportRow,
    SmsBatch,
    SmsMessage,
    TtsAnnouncement,
)
from spikon.sandbox import RECORDING_PATH, _mp3_silence, _wav_tone
from spikon.tests.test_sync_call_center_and_jobs import ordered_report
from tests.faults import (
    FAULTS,
    POLISH_LABEL,
    POLISH_NOT_ANSWERING_SINCE,
    POLISH_SYNC_FAILING_SINCE,
    UNREACHABLE,
    assert_clear_message,
    assert_failure_recorded,
    files_under,
    inject,
    recording_queued_tasks,
    snapshot,
    use_short_timeouts,
)


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"spikon:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture(autouse=True)
def _short_timeouts(monkeypatch):
    use_short_timeouts(monkeypatch)


@pytest.fixture(scope="module")
def _loopback_server():
    """One server for the module's many tests; each test mounts its own fresh sandbox on it."""
    mount = Mount()
    with serve_in_thread(mount) as url:
        yield url, mount


@pytest.fixture
def sandbox_url(_loopback_server, sandbox) -> str:
    url, mount = _loopback_server
    mount.app = sandbox
    return url


@pytest.fixture
def synced(spikon_account, sandbox, media_root):
    """The local copy of everything, read while the provider answered."""
    tenant_id = spikon_account.tenant_id
    sync.sync_account(tenant_id)
    sync.sync_phonebooks(tenant_id)
    sync.sync_call_center(tenant_id)
    sync.sync_voices(tenant_id)
    sync.sync_announcements(tenant_id)
    return spikon_account


def _point_at(account) -> Callable[[str], None]:
    """Point the account, and the recording links it gave, at another address."""

    def point(base_url: str) -> None:
        account.base_url = base_url
        account.save(update_fields=["base_url"])
        for call in CallRecord.objects.exclude(recording_url=""):
            parts = urlsplit(call.recording_url)
            call.recording_url = base_url + parts.path + (f"?{parts.query}" if parts.query else "")
            call.save(update_fields=["recording_url"])

    return point


# --- Pages ---------------------------------------------------------------------------------------


def _account_test(client, tenant, state):
    return client.post(url("account-test", tenant), follow=True)


def _click_to_call(client, tenant, state):
    data = {
        "form_key": new_action_key(),
        "phone_account": PhoneAccount.objects.filter(tenant=tenant).first().pk,
        "destination": "601234567",
    }
    return client.post(url("click-to-call", tenant), data, follow=True)


def _some_book(tenant) -> PhoneBook:
    return PhoneBook.objects.filter(tenant=tenant).exclude(provider_id=PhoneBook.MAIN_BOOK_ID).first()


def _book_add(client, tenant, state):
    return client.post(url("phonebook-add", tenant), {"name": "Nowa książka"})


def _book_delete(client, tenant, state):
    book = _some_book(tenant)
    return client.post(url("phonebook-delete", tenant, book_id=book.pk), {"confirm": book.name})


def _entry_add(client, tenant, state):
    book = _some_book(tenant)
    return client.post(
        url("entry-add", tenant, book_id=book.pk), {"name": "Jan Nowak", "number": "601234567"}
    )


def _entry_delete(client, tenant, state):
    entry = PhoneBookEntry.objects.filter(tenant=tenant, provider_id__isnull=False).first()
    return client.post(url("entry-delete", tenant, book_id=entry.book_id, entry_id=entry.pk))


def _sms_send(client, tenant, state):
    data = {"form_key": new_action_key(), "sender": "INFO", "recipients": "601000111", "message": "Dzień dobry"}
    review = client.post(url("sms-send", tenant), {**data, "action": "review"})
    digest = re.search(r'name="reviewed" value="([0-9a-f]+)"', review.text).group(1)
    return client.post(url("sms-send", tenant), {**data, "action": "send", "reviewed": digest}, follow=True)


def _order_report(client, tenant, state):
    today = timezone.localdate()
    data = {
        "direction": "2",
        "date_start": f"{today - timedelta(days=6):%Y-%m-%d}",
        "date_end": f"{today:%Y-%m-%d}",
    }
    return client.post(url("history-report-order", tenant), data)


def _recorded_call(client, tenant):
    account = sync.configured_account(tenant.pk)
    return CallRecord.objects.create(
        tenant=tenant,
        started_at=timezone.now() - timedelta(hours=1),
        source="48583001100",
        destination="601234567",
        duration_seconds=65,
        state="ANSWERED",
        has_recording=True,
        recording_url=f"{account.base_url}{RECORDING_PATH}?id=100005",  # a recording of the demo's calls
    )


def _recording(client, tenant, call):
    return client.get(url("history-call", tenant, call_id=call.public_id))


TTS_DETAILS = {"language": "pl-PL", "voice": "Ewa", "name": "Powitanie", "text": "Dzień dobry, zapraszamy."}


def _tts_price(client, tenant, state):
    return client.post(url("tts-price", tenant), TTS_DETAILS)


def _checked_quote(client, tenant):
    price = client.post(url("tts-price", tenant), TTS_DETAILS)
    return re.search(r'name="quote" value="([^"]+)"', price.text).group(1)


def _tts_generate(client, tenant, quote):
    return client.post(url("tts-generate", tenant), {"quote": quote}, follow=True)


def _tts_delete(client, tenant, state):
    item = TtsAnnouncement.objects.filter(tenant=tenant, provider_id__isnull=False).first()
    return client.post(url("tts-delete", tenant, announcement_id=item.pk), {"confirm": item.name})


def _membership(client, tenant, state):
    agent = CallCenterAgent.objects.filter(tenant=tenant).first()
    campaign = CallCenterCampaign.objects.filter(tenant=tenant).first()
    member = "0" if campaign.provider_id in agent.incoming_campaign_ids else "1"
    return client.post(
        url("callcenter-inbound", tenant, agent_id=agent.pk, campaign_id=campaign.pk),
        {"member": member},
        follow=True,
    )


def _membership_path(tenant) -> str:
    agent = CallCenterAgent.objects.filter(tenant=tenant).first()
    campaign = CallCenterCampaign.objects.filter(tenant=tenant).first()
    action = "remove_agent" if campaign.provider_id in agent.incoming_campaign_ids else "add_agent"
    return f"/api/cc_in_campaign/{action}"


def _default_outgoing(client, tenant, state):
    agent = CallCenterAgent.objects.filter(tenant=tenant).first()
    campaign = CallCenterCampaign.objects.filter(tenant=tenant).last()
    return client.post(
        url("callcenter-default-outbound", tenant, agent_id=agent.pk), {"campaign": campaign.pk}, follow=True
    )


def _monitor(client, tenant, state):
    """The page plans a refresh, the worker's refresh meets the fault, the page's next poll explains it."""
    campaign = CallCenterCampaign.objects.filter(tenant=tenant).first()
    client.get(url("callcenter-monitor", tenant, campaign_id=campaign.pk))
    sync.refresh_monitor(CampaignMonitorSnapshot.objects.get(campaign=campaign).pk)
    return client.get(url("callcenter-monitor", tenant, campaign_id=campaign.pk))


@dataclass(frozen=True)
class PageCall:
    name: str
    path: str | Callable[[object], str]  # the provider path the call reaches (or how to find it)
    act: Callable  # (client, tenant, prepared) -> the final response
    prepare: Callable | None = None  # (client, tenant) -> what `act` needs, made while the provider answers
    attempt_records: tuple[str, ...] = ()  # models whose rows record the attempt itself
    member: str = "operator"

    def __str__(self) -> str:
        return self.name

    def provider_path(self, tenant) -> str:
        return self.path if isinstance(self.path, str) else self.path(tenant)


PAGE_CALLS = [
    PageCall("account-test", "/api/balance/show", _account_test, member="tenant_admin"),
    PageCall("click-to-call", "/api/call/initiate", _click_to_call, attempt_records=("ClickToCall",)),
    PageCall("phonebook-add", "/api/phone_book/add", _book_add),
    PageCall("phonebook-delete", "/api/phone_book/delete", _book_delete),
    PageCall("entry-add", "/api/phone_book_element/add", _entry_add),
    PageCall("entry-delete", "/api/phone_book_element/delete", _entry_delete),
    PageCall("sms-send", "/api/sms/send", _sms_send, attempt_records=("SmsBatch", "SmsMessage")),
    PageCall("history-report-order", "/api/call_list/order", _order_report),
    PageCall("history-recording", RECORDING_PATH, _recording, prepare=_recorded_call),
    PageCall("tts-price", "/api/tts/price", _tts_price),
    PageCall(
        "tts-generate",
        "/api/tts/generate",
        _tts_generate,
        prepare=_checked_quote,
        attempt_records=("TtsAnnouncement",),
    ),
    PageCall("tts-delete", "/api/tts/delete", _tts_delete),
    PageCall("callcenter-membership", _membership_path, _membership),
    PageCall("callcenter-default-outbound", "/api/cc_out_campaign/set_default", _default_outgoing),
    PageCall(
        "callcenter-monitor", "/api/cc_monitor/show", _monitor, attempt_records=("CampaignMonitorSnapshot",)
    ),
]


def _assert_attempts_recorded_as_failed(fault: str) -> None:
    """The rows that record an attempt say refused or unknown (unknown only when it may have acted)."""
    for call in ClickToCall.objects.all():
        assert call.status in (ClickToCall.Status.REFUSED, ClickToCall.Status.UNKNOWN) and call.error
    for message in SmsMessage.objects.all():
        assert message.send_status in (SmsMessage.SendStatus.REFUSED, SmsMessage.SendStatus.UNKNOWN)
        assert message.provider_id is None and message.poll_status == SmsMessage.PollStatus.FAILED
    for item in TtsAnnouncement.objects.filter(created_by__isnull=False):
        assert item.state == TtsAnnouncement.State.UNKNOWN and item.provider_id is None
    if fault in ("refused", "auth"):
        assert not ClickToCall.objects.exclude(status=ClickToCall.Status.REFUSED).exists()
        assert not SmsMessage.objects.exclude(send_status=SmsMessage.SendStatus.REFUSED).exists()
        assert not TtsAnnouncement.objects.filter(created_by__isnull=False).exists()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("call", PAGE_CALLS, ids=str)
def test_a_page_explains_the_fault_and_changes_nothing(
    call, fault, request, login, tenant, synced, sandbox, media_root
):
    client = login(request.getfixturevalue(call.member))
    prepared = call.prepare(client, tenant) if call.prepare else None
    inject(fault, sandbox, call.provider_path(tenant), _point_at(synced))
    if isinstance(prepared, CallRecord):
        prepared.refresh_from_db()
    rows, files = snapshot("spikon", skip=call.attempt_records), files_under(media_root)

    response = call.act(client, tenant, prepared)

    assert response.status_code < 500
    assert_clear_message(response.text, fault)
    assert snapshot("spikon", skip=call.attempt_records) == rows, "nothing is half-written"
    assert files_under(media_root) == files, "no partial file is kept"
    assert not AuditEvent.objects.filter(outcome="success").exists()
    _assert_attempts_recorded_as_failed(fault)


# --- Syncs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncCall:
    resource: str
    paths: tuple[str, ...]
    page: str  # the page whose status line shows this sync
    task: Callable[[int, str], object]
    fan_out: Callable[[], object]
    member: str = "viewer"

    def __str__(self) -> str:
        return self.resource


SYNC_CALLS = [
    SyncCall(
        sync.ACCOUNT,
        ("/api/balance/show", "/api/phone_account/list"),
        "index",
        tasks.sync_account,
        lambda: tasks.queue_scheduled_syncs(list(sync.RESOURCES)),
    ),
    SyncCall(
        sync.PHONEBOOKS,
        ("/api/phone_book/list", "/api/phone_book/show"),
        "phonebooks",
        tasks.sync_phonebooks,
        lambda: tasks.queue_scheduled_syncs(list(sync.RESOURCES)),
    ),
    SyncCall(
        sync.CALL_CENTER,
        ("/api/cc_campaigns/list", "/api/cc_agent/list"),
        "callcenter",
        tasks.sync_call_center,
        lambda: tasks.queue_scheduled_syncs(list(sync.RESOURCES)),
    ),
    SyncCall(
        sync.VOICES,
        ("/api/tts/language_list", "/api/tts/voice_list"),
        "tts-new",
        tasks.sync_voices,
        lambda: tasks.queue_scheduled_syncs(list(sync.RESOURCES)),
        member="operator",
    ),
    SyncCall(
        sync.ANNOUNCEMENTS,
        ("/api/tts/list",),
        "tts",
        tasks.sync_announcements,
        lambda: tasks.queue_scheduled_syncs(list(sync.RESOURCES)),
    ),
]
SYNC_CASES = [(call, path) for call in SYNC_CALLS for path in call.paths]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize(("call", "path"), SYNC_CASES, ids=[path for _call, path in SYNC_CASES])
def test_a_sync_records_the_fault_keeps_the_data_and_backs_off(
    call,
    path,
    fault,
    request,
    login,
    tenant,
    synced,
    sandbox,
    media_root,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    # Whoever listens to finished syncs (the alerts) may queue work of their own: only the sync's count here.
    monkeypatch.setattr(sync_state.sync_finished, "receivers", [])
    inject(fault, sandbox, path, _point_at(synced))
    rows, files = snapshot("spikon", skip=("SpikonAccount",)), files_under(media_root)

    with django_capture_on_commit_callbacks(execute=False) as nudges:
        call.task(tenant.pk, call.resource)

    assert snapshot("spikon", skip=("SpikonAccount",)) == rows
    assert files_under(media_root) == files and nudges == []
    status = SyncStatus.objects.get(tenant=tenant, provider="spikon", resource=call.resource)
    assert_failure_recorded(status, fault)
    page = login(request.getfixturevalue(call.member)).get(url(call.page, tenant)).text
    assert (POLISH_NOT_ANSWERING_SINCE if fault in UNREACHABLE else POLISH_SYNC_FAILING_SINCE) in page
    assert escape(status.last_error) in page

    this_sync = (call.task.name, (tenant.pk, call.resource))
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        call.fan_out()
        call.fan_out()
    assert this_sync not in queued.sent, "failures do not pile up tasks"

    SyncStatus.objects.filter(pk=status.pk).update(next_retry_at=timezone.now() - timedelta(seconds=1))
    with recording_queued_tasks(monkeypatch) as queued, django_capture_on_commit_callbacks(execute=True):
        call.fan_out()
    assert queued.sent.count(this_sync) == 1


# --- Polled jobs ---------------------------------------------------------------------------------


def _accepted_sms(account, tenant) -> SmsMessage:
    provider_id = account.client(in_request=True).send_sms("601000111", "Dzień dobry", "INFO")[0]
    batch = SmsBatch.objects.create(tenant=tenant, sender="INFO", text="Dzień dobry")
    message = SmsMessage(
        tenant=tenant,
        batch=batch,
        recipient="601000111",
        send_status=SmsMessage.SendStatus.ACCEPTED,
        provider_id=provider_id,
    )
    message.start_polling()
    message.save()
    return message


def _importing(account, tenant) -> PhoneBookImport:
    job = PhoneBookImport(
        tenant=tenant, book=_some_book(tenant), file_name="klienci.csv", stage=PhoneBookImport.Stage.IMPORTING
    )
    job.start_polling()
    job.save()
    for line, (name, number) in enumerate([("Jan Nowak", "601000111"), ("Ewa Kowalska", "601000112")], 1):
        PhoneBookImportRow.objects.create(
            row_import=job, line=line, name=name, number=number, status=PhoneBookImportRow.Status.TO_ADD
        )
    return job


def _report(account, tenant, sandbox) -> CallHistoryReport:
    sandbox.report_polls = 0
    return ordered_report(account)


def _announcement(account, tenant, sandbox) -> TtsAnnouncement:
    sandbox.tts_polls = 0
    provider_id = account.client(in_request=True).generate_tts("Ewa", "Nowa zapowiedź", "Dzień dobry.")
    item = TtsAnnouncement(
        tenant=tenant, provider_id=provider_id, name="Nowa zapowiedź", state=TtsAnnouncement.State.PENDING
    )
    item.start_polling()
    item.save()
    return item


@dataclass(frozen=True)
class PolledJobCall:
    name: str
    path: str
    make: Callable  # (account, tenant, sandbox) -> the job row
    poll: Callable[[int], object]
    sweep: Callable[[], object]
    page: Callable  # (tenant, job) -> the URL of the page that shows the job
    attempt_records: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return self.name


POLLED_JOBS = [
    PolledJobCall(
        "sms-state",
        "/api/sms/state",
        lambda a, t, s: _accepted_sms(a, t),
        tasks.poll_sms_state,
        sweep_jobs,
        lambda t, job: url("sms-log", t) + f"?batch={job.batch_id}",
        attempt_records=("SmsMessage",),
    ),
    PolledJobCall(
        "phonebook-import",
        "/api/phone_book_element/add",
        lambda a, t, s: _importing(a, t),
        tasks.run_phonebook_import,
        sweep_jobs,
        lambda t, job: url("phonebook-import-detail", t, import_id=job.pk),
        attempt_records=("PhoneBookImport", "PhoneBookImportRow"),
    ),
    PolledJobCall(
        "report-list",
        "/api/call_list/list",
        _report,
        tasks.poll_call_history_report,
        sweep_jobs,
        lambda t, job: url("history-report", t, report_id=job.pk),
        attempt_records=("CallHistoryReport",),
    ),
    PolledJobCall(
        "report-show",
        "/api/call_list/show",
        _report,
        tasks.poll_call_history_report,
        sweep_jobs,
        lambda t, job: url("history-report", t, report_id=job.pk),
        attempt_records=("CallHistoryReport",),
    ),
    PolledJobCall(
        "tts-status",
        "/api/tts/status",
        _announcement,
        tasks.poll_announcement,
        sweep_jobs,
        lambda t, job: url("tts-announcement", t, announcement_id=job.pk),
        attempt_records=("TtsAnnouncement",),
    ),
    PolledJobCall(
        "tts-download",
        "/api/tts/download",
        _announcement,
        tasks.poll_announcement,
        sweep_jobs,
        lambda t, job: url("tts-announcement", t, announcement_id=job.pk),
        attempt_records=("TtsAnnouncement",),
    ),
]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("call", POLLED_JOBS, ids=str)
def test_a_polled_job_keeps_the_reason_and_waits_for_the_backoff(
    call,
    fault,
    login,
    tenant,
    operator,
    synced,
    sandbox,
    media_root,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    job = call.make(synced, tenant, sandbox)
    model = type(job)
    model.objects.filter(pk=job.pk).update(next_poll_at=timezone.now())
    inject(fault, sandbox, call.path, _point_at(synced))
    rows, files = snapshot("spikon", skip=(*call.attempt_records, "SpikonAccount")), files_under(media_root)

    with django_capture_on_commit_callbacks(execute=False) as nudges:
        call.poll(job.pk)

    assert snapshot("spikon", skip=(*call.attempt_records, "SpikonAccount")) == rows, (
        "nothing is half-written"
    )
    assert files_under(media_root) == files, "no partial file is kept"
    job.refresh_from_db()
    with translation.override("pl"):  # kept as a code, shown in the viewer's language
        assert POLISH_LABEL[fault] in shown(job.last_error), "the reason is kept, in the operator's words"
    assert job.attempts == 1 and job.claimed_until is None
    if job.poll_status == model.PollStatus.WAITING:
        assert len(nudges) == 1, "one nudge for the next check, no more"
        assert timezone.now() < job.next_poll_at <= timezone.now() + model.backoff(1)
        with recording_queued_tasks(monkeypatch) as queued:
            call.sweep()
            call.sweep()
        assert queued.sent == [], "the sweeper leaves a job alone while its backoff lasts"
        model.objects.filter(pk=job.pk).update(
            next_poll_at=timezone.now() - model.SWEEP_GRACE - timedelta(seconds=1)
        )
        with recording_queued_tasks(monkeypatch) as queued:
            call.sweep()
        assert queued.sent == [(call.poll.name, (job.pk,))], "once due, it is checked again"
    else:
        # The provider refused the key: the job waits for it to be fixed instead of asking again and again.
        assert fault == "auth" and job.poll_status == model.PollStatus.CREDENTIALS and nudges == []
        with recording_queued_tasks(monkeypatch) as queued:
            call.sweep()
        assert queued.sent == [], "the sweeper leaves a job waiting for the credentials alone"
    page = login(operator).get(call.page(tenant, job)).text
    with translation.override("pl"):
        assert escape(shown(job.last_error)) in page


@pytest.mark.parametrize("fault", FAULTS)
def test_the_demo_call_history_is_ordered_again_only_when_the_order_cannot_have_arrived(
    fault, tenant, synced, sandbox, monkeypatch
):
    """The demo tenant's first report (a task): retried only while the connection is refused."""
    inject(fault, sandbox, "/api/call_list/order", _point_at(synced))

    with recording_queued_tasks(monkeypatch) as queued, pytest.raises(Exception) as raised:
        tasks.order_demo_call_history(tenant.pk)

    assert not CallHistoryReport.objects.exists()
    assert queued.sent == []
    # Celery's retry (run by a worker, it is queued again after 3 s) only when the order cannot have arrived.
    assert isinstance(raised.value, Retry if fault == "refused" else ProviderError)


# --- Audio cut short -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "audio",
    [
        pytest.param(_mp3_silence(seconds=1.0, title="Powitanie"), id="mp3"),
        pytest.param(_mp3_silence(seconds=1.0, title="Powitanie") + b"TAG" + b"\0" * 125, id="mp3+id3v1"),
        pytest.param(_wav_tone(seconds=0.5, frequency=440), id="wav"),
    ],
)
def test_an_audio_file_is_whole_only_when_nothing_of_it_is_missing(audio):
    """A body cut short whose Content-Length matches what came passes HTTP's check, not this one."""
    for chunk_size in (7, 4096, len(audio)):
        whole = _WholeAudio()
        for start in range(0, len(audio), chunk_size):
            whole.feed(audio[start : start + chunk_size])
        assert whole.complete and whole.size == len(audio)
    for cut in (len(audio) // 2, len(audio) - 1):
        whole = _WholeAudio()
        whole.feed(audio[:cut])
        assert not whole.complete
