"""Jobs stopped by refused credentials wait for them to be fixed, and go on (never ordered or generated
again) once a Test connection of the account succeeds: on a real Celery worker against the sandbox over
HTTP, and step by step for each kind of SPIKON job."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from providers.tasks import sweep_jobs
from spikon import services, sync, tasks
from spikon.models import (
    CallDirection,
    CallHistoryReport,
    PhoneBook,
    PhoneBookImport,
    PhoneBookImportRow,
    SmsBatch,
    SmsMessage,
    SpikonAccount,
    TtsAnnouncement,
)
from spikon.sandbox import DEMO_API_KEY
from tests.providers import connect, served_providers

pytestmark = pytest.mark.django_db

# The key SPIKON's panel generated in place of the old one (which it now refuses: -3).
NEW_KEY = "Nw7kQ2zLp9XcR4tVb8mYh3sD"


def url(tenant, name: str, **kwargs) -> str:
    return reverse(f"spikon:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def order_report(account: SpikonAccount, user=None) -> CallHistoryReport:
    today = timezone.localdate()
    return services.order_call_history(
        account,
        user,
        direction=CallDirection.BOTH,
        date_start=today - timedelta(days=30),
        date_end=today,
        recordings_only=False,
        number="",
    )


def generate_announcement(account: SpikonAccount, user) -> TtsAnnouncement:
    price = services.price_announcement(account, "Ewa", "Dzień dobry.")
    quote = {
        "key": f"quote-{account.tenant_id}",
        "name": "Powitanie",
        "voice": "Ewa",
        "text": "Dzień dobry.",
        "net": price.net,
        "gross": price.gross,
    }
    return services.generate_announcement(account, user, quote)


def in_state(model, pk: int, poll_status: str) -> bool:
    return model.objects.filter(pk=pk, poll_status=poll_status).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_and_an_announcement_stopped_by_a_refused_key_go_on_after_the_key_is_fixed(
    real_worker, media_root, tenant, other_tenant, tenant_admin, operator, login
):
    with served_providers() as providers:
        connect(tenant, providers)
        account = SpikonAccount.objects.get(tenant=tenant)
        # Another tenant, whose own key the provider refuses too: its job waits for its own fix.
        other_account = SpikonAccount.objects.create(
            tenant=other_tenant, api_key="Kl9czInnejFirmy0000xx", base_url=providers.urls["spikon"]
        )
        with transaction.atomic():  # the first polls go out once the key has changed
            report = order_report(account, operator)
            announcement = generate_announcement(account, operator)
            other = CallHistoryReport(
                tenant=other_tenant,
                provider_report_id=account.client(in_request=True).order_call_history(
                    timezone.localdate() - timedelta(days=7), timezone.localdate()
                ),
                direction=CallDirection.BOTH,
                date_start=timezone.localdate() - timedelta(days=7),
                date_end=timezone.localdate(),
                recordings_only=False,
            )
            other.start_polling()
            other.save()
            tasks.poll_call_history_report.apply_async_on_commit((other.pk,), eta=other.next_poll_at)
            providers.spikon._api_key = NEW_KEY  # a new key generated in SPIKON's panel

        stopped = lambda: all(  # noqa: E731
            in_state(model, pk, "credentials")
            for model, pk in (
                (CallHistoryReport, report.pk),
                (TtsAnnouncement, announcement.pk),
                (CallHistoryReport, other.pk),
            )
        )
        assert wait_for(stopped), real_worker.log_path.read_text()[-3000:]
        report.refresh_from_db()
        assert report.state == CallHistoryReport.State.PENDING and "-3" in report.last_error
        admin = login(tenant_admin)
        admin.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        page = admin.get(url(tenant, "history-report", report_id=report.pk)).content.decode()
        assert "waits for the SPIKON credentials to be fixed" in page
        assert url(tenant, "account") in page

        # Test connection with the old key fails: nothing goes on.
        mark = providers.mark()
        failed = admin.post(url(tenant, "account-test"), HTTP_HX_REQUEST="true")
        assert "Unknown API key" in failed.content.decode()
        sweep_jobs()
        time.sleep(2)
        assert stopped()
        assert [request.path for _, request in providers.received_since(mark)] == ["/api/balance/show"]

        # The new key saved: the jobs still wait for a Test connection to prove it.
        saved = admin.post(url(tenant, "account"), {"api_key": NEW_KEY, "base_url": account.base_url})
        assert saved.status_code == 302
        assert stopped()

        tested = admin.post(url(tenant, "account-test"), HTTP_HX_REQUEST="true").content.decode()
        assert "The connection works" in tested and "2 stopped jobs go on" in tested

        def finished() -> bool:
            return CallHistoryReport.objects.filter(pk=report.pk, state="stored").exists() and (
                TtsAnnouncement.objects.filter(pk=announcement.pk, state="stored").exists()
            )

        assert wait_for(finished), real_worker.log_path.read_text()[-3000:]
        report.refresh_from_db()
        announcement_after = TtsAnnouncement.objects.get(pk=announcement.pk)
        assert report.calls_stored > 0 and report.last_error == ""
        assert announcement_after.provider_id == announcement.provider_id and announcement_after.audio_mp3
        # The other tenant's job still waits for its own credentials.
        assert in_state(CallHistoryReport, other.pk, "credentials")
        # Nothing ordered or generated twice: the resumed jobs only polled.
        paths = [request.path for _, request in providers.received_since(dict.fromkeys(providers.logs, 0))]
        assert paths.count("/api/call_list/order") == 2  # this tenant's report and the other tenant's
        assert paths.count("/api/tts/generate") == 1
        after_resume = [request for _, request in providers.received_since(mark)]
        assert not any(request.params.get("api_key") == other_account.api_key for request in after_resume)


# --- each kind of job, one poll at a time ------------------------------------------------------------------


@pytest.fixture
def refused(spikon_account, sandbox):
    """The provider now refuses the account's key (-3); returns a function that fixes it at the provider."""
    sandbox._api_key = NEW_KEY

    def fix() -> None:
        SpikonAccount.objects.filter(pk=spikon_account.pk).update(api_key=NEW_KEY)

    return fix


def poll_now(model, task, pk: int) -> None:
    model.objects.filter(pk=pk).update(next_poll_at=timezone.now())
    task(pk)


def test_a_report_waits_for_the_credentials_and_goes_on_after_a_successful_test(
    spikon_account, sandbox, refused, login, tenant_admin, django_capture_on_commit_callbacks
):
    sandbox._api_key = DEMO_API_KEY
    report = order_report(spikon_account)
    sandbox._api_key = NEW_KEY
    poll_now(CallHistoryReport, tasks.poll_call_history_report, report.pk)
    report.refresh_from_db()
    assert (report.state, report.poll_status, report.next_poll_at) == ("pending", "credentials", None)
    assert report.pk not in CallHistoryReport.overdue().values_list("pk", flat=True)

    client = login(tenant_admin)
    client.post(url(spikon_account.tenant, "account-test"), HTTP_HX_REQUEST="true")
    report.refresh_from_db()
    assert report.poll_status == "credentials"  # the test failed

    refused()
    with django_capture_on_commit_callbacks() as nudges:
        client.post(url(spikon_account.tenant, "account-test"), HTTP_HX_REQUEST="true")
    report.refresh_from_db()
    assert (report.state, report.poll_status, report.attempts) == ("pending", "waiting", 0)
    assert report.next_poll_at <= timezone.now() and len(nudges) == 1

    sandbox.report_polls = 0
    tasks.poll_call_history_report(report.pk)  # the queued nudge, run here
    report.refresh_from_db()
    assert (report.state, report.poll_status) == ("stored", "finished")
    assert sandbox.request_count("/api/call_list/order") == 1


def test_an_announcement_waits_for_the_credentials(spikon_account, sandbox, refused, operator):
    sandbox._api_key = DEMO_API_KEY
    announcement = generate_announcement(spikon_account, operator)
    sandbox._api_key = NEW_KEY
    poll_now(TtsAnnouncement, tasks.poll_announcement, announcement.pk)
    announcement.refresh_from_db()
    assert (announcement.state, announcement.poll_status) == ("pending", "credentials")
    assert announcement.is_in_progress


def test_an_sms_delivery_check_waits_for_the_credentials(spikon_account, sandbox, refused):
    batch = SmsBatch.objects.create(tenant=spikon_account.tenant, sender="SMS", text="Test")
    message = SmsMessage.objects.create(
        tenant=spikon_account.tenant,
        batch=batch,
        recipient="601000111",
        send_status=SmsMessage.SendStatus.ACCEPTED,
        provider_id=1,
        sent_at=timezone.now(),
    )
    poll_now(SmsMessage, tasks.poll_sms_state, message.pk)
    message.refresh_from_db()
    assert (message.poll_status, message.next_poll_at) == ("credentials", None)
    assert not message.is_settled


def test_an_import_stopped_by_the_credentials_goes_on_with_the_rows_left(
    spikon_account, sandbox, refused, django_capture_on_commit_callbacks, login, tenant_admin
):
    sandbox._api_key = DEMO_API_KEY
    sync.sync_phonebooks(spikon_account.tenant_id)
    sandbox._api_key = NEW_KEY
    book = PhoneBook.objects.filter(tenant=spikon_account.tenant).first()
    job = PhoneBookImport.objects.create(
        tenant=spikon_account.tenant, book=book, file_name="k.csv", stage=PhoneBookImport.Stage.IMPORTING
    )
    job.start_polling()
    job.save()
    for line in (1, 2):
        job.rows.create(line=line, name=f"K{line}", number=f"60100050{line}", status="to_add")

    tasks.run_phonebook_import(job.pk)

    job.refresh_from_db()
    assert (job.stage, job.poll_status) == ("importing", "credentials")
    assert set(job.rows.values_list("status", flat=True)) == {PhoneBookImportRow.Status.TO_ADD}
    client = login(tenant_admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(
        url(spikon_account.tenant, "phonebook-import-detail", import_id=job.pk)
    ).content.decode()
    assert "waits for the SPIKON credentials to be fixed" in page

    refused()
    with django_capture_on_commit_callbacks() as nudges:
        client.post(url(spikon_account.tenant, "account-test"), HTTP_HX_REQUEST="true")
    assert len(nudges) == 1
    tasks.run_phonebook_import(job.pk)  # the queued nudge, run here
    job.refresh_from_db()
    assert (job.stage, job.poll_status) == ("done", "finished")
    assert set(job.rows.values_list("status", flat=True)) == {PhoneBookImportRow.Status.ADDED}
    # The refused attempt, then each row once.
    assert sandbox.request_count("/api/phone_book_element/add") == 3


def test_the_page_of_a_waiting_job_says_so_in_polish(spikon_account, sandbox, refused, login, viewer):
    sandbox._api_key = DEMO_API_KEY
    report = order_report(spikon_account)
    sandbox._api_key = NEW_KEY
    poll_now(CallHistoryReport, tasks.poll_call_history_report, report.pk)

    page = login(viewer).get(url(spikon_account.tenant, "history-report", report_id=report.pk))

    text = page.content.decode()
    assert "czeka na poprawienie danych dostępowych SPIKON" in text
    assert url(spikon_account.tenant, "account") in text
