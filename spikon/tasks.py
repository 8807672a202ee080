"""Celery tasks of the SPIKON app. Tasks take ids; the state of every job lives in its row (PolledJob)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.models import Tenant
from provider_api.errors import (
    NotFoundError,
    NotReadyError,
    ProviderError,
    UnavailableError,
)
from providers import events
from providers.accounts import BACKGROUND_TIMEOUT
from providers.jobs import stops_on_credentials
from providers.texts import later
from spikon import services, sync
from spikon.client import CALL_HISTORY_REPORT_LIFETIME
from spikon.models import (
    CallDirection,
    CallHistoryReport,
    ClickToCall,
    PhoneBookEntry,
    PhoneBookImport,
    PhoneBookImportRow,
    SmsMessage,
    TtsAnnouncement,
)

# --- Account, phonebooks and SMS ---------------------------------------------------------------------------


@shared_task
def sync_account(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's balance and phone accounts (reads: the sync state backs off after failures)."""
    sync.sync_account(tenant_id)


@shared_task
def sync_phonebooks(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's phonebooks and their entries."""
    sync.sync_phonebooks(tenant_id)


@shared_task
def queue_scheduled_syncs(resources: list[str]) -> None:
    """Beat: queue the given syncs (sync.RESOURCES) of every tenant with a SPIKON key."""
    tenants = Tenant.objects.filter(spikon_account__isnull=False).exclude(spikon_account__api_key="")
    for tenant in tenants:
        for resource in resources:
            if resource in sync.RESOURCES:
                sync.queue(tenant, resource, scheduled=True)


@shared_task
def poll_sms_state(message_id: int) -> None:
    """Ask once for the delivery state of one SMS (4.6.2); nudges its next poll while it is not final."""
    message = SmsMessage.claim(message_id)
    if message is None:
        return  # not due, final, or being polled by another worker
    account = sync.configured_account(message.tenant_id)
    if account is None or message.provider_id is None:
        message.give_up(gettext_noop("The SPIKON account has no API key any more."))
        return
    try:
        state = account.client(in_request=False).sms_state(message.provider_id)
    except NotFoundError as error:
        if message.give_up(account.explain_later(error)):
            events.announce(message.tenant_id, "sms.failed", message_id=message.pk, to=message.recipient)
        return
    except ProviderError as error:
        if stops_on_credentials(error):
            message.wait_for_credentials(account.explain_later(error))
        elif message.poll_again(error=account.explain_later(error)):
            _nudge_sms(message)
        return
    fields = {"delivery": state.code, "delivery_error": account.redact(state.error or "")[:2000]}
    if state.finished:
        if message.finish(**fields):
            delivered = state.code == SmsMessage.Delivery.DELIVERED
            event = "sms.delivered" if delivered else "sms.failed"
            events.announce(
                message.tenant_id, event, message_id=message.pk, to=message.recipient, state=state.code
            )
    elif message.poll_again(**fields):
        _nudge_sms(message)


def _nudge_sms(message: SmsMessage) -> None:
    poll_sms_state.apply_async_on_commit((message.pk,), eta=message.next_poll_at)


@shared_task
def run_phonebook_import(import_id: int) -> None:
    """Add the next rows of a CSV import to its phonebook (4.3.5), each at most once; hands over to the
    next run while rows remain, and records the outcome when none do."""
    job = PhoneBookImport.claim(import_id)
    if job is None:
        return
    if job.stage != PhoneBookImport.Stage.IMPORTING:
        job.finish()
        return
    # A row left "sending" by a worker that died may have been added: it is never sent again.
    job.rows.filter(status=PhoneBookImportRow.Status.SENDING).update(
        status=PhoneBookImportRow.Status.UNKNOWN,
        message=gettext_noop("The worker stopped while adding this entry: check the phonebook."),
    )
    account = sync.configured_account(job.tenant_id)
    if account is None:
        _end_import(job, stop_reason=gettext_noop("The SPIKON account has no API key any more."))
        return
    client = account.client(in_request=False)
    book = job.book
    rows = list(job.rows.filter(status=PhoneBookImportRow.Status.TO_ADD)[: PhoneBookImport.ROWS_PER_RUN])
    for row in rows:
        if timezone.now() > job.claimed_until - timedelta(seconds=sum(BACKGROUND_TIMEOUT)):
            break  # another call might outlive the claim: hand over to the next run
        claimed = PhoneBookImportRow.objects.filter(pk=row.pk, status=PhoneBookImportRow.Status.TO_ADD)
        if not claimed.update(status=PhoneBookImportRow.Status.SENDING):
            continue
        try:
            entry = client.add_phone_book_entry(book.provider_id, row.name, row.number)
        except UnavailableError as error:
            status = (
                PhoneBookImportRow.Status.UNKNOWN
                if error.outcome_unknown
                else PhoneBookImportRow.Status.TO_ADD
            )
            row.status, row.message = status, account.explain_later(error)
            row.save(update_fields=["status", "message"])
            # The provider is not answering: the rest waits for the backoff instead of failing one by one.
            if job.poll_again(error=account.explain_later(error)):
                run_phonebook_import.apply_async_on_commit((job.pk,), eta=job.next_poll_at)
            elif job.poll_status == PhoneBookImport.PollStatus.FAILED:
                _end_import(job, stop_reason=job.last_error, released=True)
            return
        except ProviderError as error:
            if stops_on_credentials(error):
                # Refused before anything was added: the row waits with the rest for the fixed credentials.
                row.status, row.message = PhoneBookImportRow.Status.TO_ADD, ""
                row.save(update_fields=["status", "message"])
                job.wait_for_credentials(account.explain_later(error))
                return
            row.status, row.message = (
                PhoneBookImportRow.Status.FAILED,
                account.explain_later(error),
            )
            row.save(update_fields=["status", "message"])
            continue
        PhoneBookEntry.objects.create(
            tenant_id=job.tenant_id,
            book=book,
            provider_id=entry.id,
            name=entry.name[:200] or row.name,
            number=entry.number[:40] or row.number,
        )
        row.status, row.message = PhoneBookImportRow.Status.ADDED, ""
        row.save(update_fields=["status", "message"])
    if job.rows.filter(status=PhoneBookImportRow.Status.TO_ADD).exists():
        if job.poll_again(delay=timedelta(0)):
            run_phonebook_import.apply_async_on_commit((job.pk,))
        elif job.poll_status == PhoneBookImport.PollStatus.FAILED:
            _end_import(job, stop_reason=job.last_error, released=True)
        return
    _end_import(job)


def _end_import(job: PhoneBookImport, *, stop_reason: str = "", released: bool = False) -> None:
    """Close the import: rows never sent get the reason, the outcome goes to the audit log.

    `released`: the claim was already given up (the job ran out of time), only the stage is left to set.
    """
    if stop_reason:
        job.rows.filter(status=PhoneBookImportRow.Status.TO_ADD).update(
            status=PhoneBookImportRow.Status.FAILED, message=stop_reason
        )
    done = PhoneBookImport.Stage.DONE
    if released:
        ended = PhoneBookImport.objects.filter(pk=job.pk).update(stage=done)
    elif stop_reason:
        ended = job.give_up(stop_reason, stage=done)
    else:
        ended = job.finish(stage=done)
    if not ended:
        return
    counts = dict(job.rows.values_list("status").annotate(count=Count("id")).order_by())
    added = counts.get(PhoneBookImportRow.Status.ADDED, 0)
    audit.record(
        job.tenant,
        job.user,
        "spikon.phonebook.import",
        target=job.book,
        changes={"entries": (None, added)},
        outcome="failure" if stop_reason else "success",
        message=later(
            gettext_noop(
                "%(file)s: %(added)d added, %(failed)d not added, %(unknown)d unknown, %(skipped)d skipped."
            ),
            file=job.file_name,
            added=added,
            failed=counts.get(PhoneBookImportRow.Status.FAILED, 0),
            unknown=counts.get(PhoneBookImportRow.Status.UNKNOWN, 0),
            skipped=counts.get(PhoneBookImportRow.Status.DUPLICATE, 0)
            + counts.get(PhoneBookImportRow.Status.INVALID, 0),
        ),
    )


def settle_abandoned_sends() -> None:
    """A send or call still "being sent" long after its request began died with its process: unknown."""
    now = timezone.now()
    reason = gettext_noop(
        "The request ended before the provider's answer was recorded: check before sending again."
    )
    SmsMessage.objects.filter(
        Q(sent_at__lt=now - SmsMessage.SENDING_GIVES_UP_AFTER)
        | Q(sent_at__isnull=True, created_at__lt=now - SmsMessage.SENDING_GIVES_UP_AFTER),
        send_status=SmsMessage.SendStatus.SENDING,
    ).update(
        send_status=SmsMessage.SendStatus.UNKNOWN,
        poll_status=SmsMessage.PollStatus.FAILED,
        next_poll_at=None,
        last_error=reason,
        finished_at=now,
    )
    # Messages of a submission whose request died before their turn were never sent.
    SmsMessage.objects.filter(
        send_status=SmsMessage.SendStatus.QUEUED, created_at__lt=now - SmsMessage.SENDING_GIVES_UP_AFTER
    ).update(
        send_status=SmsMessage.SendStatus.NOT_SENT,
        poll_status=SmsMessage.PollStatus.FAILED,
        next_poll_at=None,
        last_error=gettext_noop("Not sent: the request stopped before this message's turn."),
        finished_at=now,
    )
    ClickToCall.objects.filter(
        status=ClickToCall.Status.SENDING, created_at__lt=now - ClickToCall.SENDING_GIVES_UP_AFTER
    ).update(status=ClickToCall.Status.UNKNOWN, error=reason, finished_at=now)


# --- Call center, announcements and call history --------------------------------------------------------


@shared_task
def sync_call_center(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's call center campaigns and agents."""
    sync.sync_call_center(tenant_id)


@shared_task
def sync_voices(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's text-to-speech languages and voices."""
    sync.sync_voices(tenant_id)


@shared_task
def sync_announcements(tenant_id: int, resource: str) -> None:
    """Refresh one tenant's announcements and start fetching the audio of the new ones."""
    for announcement_id in sync.sync_announcements(tenant_id):
        poll_announcement.delay_on_commit(announcement_id)


@shared_task
def refresh_campaign_monitor(snapshot_id: int) -> None:
    """While someone watches the campaign, read its monitor and come back in a few seconds; then stop."""
    if sync.refresh_monitor(snapshot_id):
        refresh_campaign_monitor.apply_async((snapshot_id,), countdown=sync.MONITOR_REFRESH_SECONDS)


@shared_task
def poll_call_history_report(report_id: int) -> None:
    """One step of a report: ask whether the provider has generated it (4.4.2); once it has, fetch it
    (4.4.3) and store its calls. Reads only: a failed step is simply tried again after the backoff."""
    report = CallHistoryReport.claim(report_id)
    if report is None:
        return  # not due, final, or being polled by another worker
    state = CallHistoryReport.State
    account = sync.configured_account(report.tenant_id)
    if account is None:
        report.give_up(gettext_noop("The SPIKON account has no API key any more."), state=state.FAILED)
        return
    expired = gettext_noop(
        "The provider no longer keeps this report (it keeps reports a month after generating them). "
        "Order a new one."
    )
    if timezone.now() - (report.generated_at or report.created_at) > CALL_HISTORY_REPORT_LIFETIME:
        report.give_up(expired, state=state.EXPIRED)
        return
    client = account.client(in_request=False)
    generated_at = report.generated_at
    try:
        if report.state == state.PENDING:
            listed = {item.id: item for item in client.call_history_reports()}
            if report.provider_report_id not in listed:
                report.give_up(expired, state=state.EXPIRED)
                return
            if not listed[report.provider_report_id].generated:
                _report_later(report)
                return
            generated_at = timezone.now()
        records = client.call_history(report.provider_report_id)
    except NotReadyError:
        _report_later(report, state=state.READY, generated_at=generated_at)
    except NotFoundError as error:
        report.give_up(
            later("%(what)s %(then)s", what=expired, then=account.explain_later(error)),
            state=state.EXPIRED,
        )
    except UnavailableError as error:
        reached = state.READY if generated_at else state.PENDING
        _report_later(report, account.explain_later(error), state=reached, generated_at=generated_at)
    except ProviderError as error:
        if stops_on_credentials(error):
            # Kept where it was (the provider's report and how far it got): it goes on once they are fixed.
            reached = state.READY if generated_at else state.PENDING
            report.wait_for_credentials(
                account.explain_later(error), state=reached, generated_at=generated_at
            )
        else:
            report.give_up(account.explain_later(error), state=state.FAILED)
    else:
        with transaction.atomic():
            count = sync.store_calls(report, records)
            if report.finish(state=state.STORED, calls_stored=count, generated_at=generated_at):
                events.announce(report.tenant_id, "report.ready", report="spikon.call_history", id=report.pk)


def _report_later(report: CallHistoryReport, error: str = "", **fields) -> None:
    if report.poll_again(error=error, **fields):
        poll_call_history_report.apply_async_on_commit((report.pk,), eta=report.next_poll_at)
    elif report.poll_status == CallHistoryReport.PollStatus.FAILED:
        CallHistoryReport.objects.filter(pk=report.pk).update(state=CallHistoryReport.State.FAILED)


@shared_task
def poll_announcement(announcement_id: int) -> None:
    """One step of an announcement: ask whether it is generated (4.7.8); once it is, fetch its audio
    (4.7.5) into media storage. Never generates: that was done, once, by the operator's request."""
    announcement = TtsAnnouncement.claim(announcement_id)
    if announcement is None:
        return
    state = TtsAnnouncement.State
    account = sync.configured_account(announcement.tenant_id)
    if account is None or announcement.provider_id is None:
        announcement.give_up(gettext_noop("The SPIKON account has no API key any more."), state=state.FAILED)
        return
    client = account.client(in_request=False)
    generated_at = announcement.generated_at
    try:
        if announcement.state == state.PENDING:
            if not client.tts_status(announcement.provider_id).generated:
                _announcement_later(announcement)
                return
            generated_at = timezone.now()
        stored = sync.download_announcement(client, announcement)
    except NotReadyError:
        _announcement_later(announcement, state=state.READY, generated_at=generated_at)
    except UnavailableError as error:
        reached = state.READY if generated_at else announcement.state
        error_text = account.explain_later(error)
        _announcement_later(announcement, error_text, state=reached, generated_at=generated_at)
    except ProviderError as error:
        if stops_on_credentials(error):
            reached = state.READY if generated_at else announcement.state
            error_text = account.explain_later(error)
            announcement.wait_for_credentials(error_text, state=reached, generated_at=generated_at)
        else:
            announcement.give_up(account.explain_later(error), state=state.FAILED)
    else:
        if not announcement.finish(state=state.STORED, generated_at=generated_at, **stored):
            for name in stored.values():
                default_storage.delete(name)  # another worker took the job over: its files count
        else:
            events.announce(
                announcement.tenant_id, "announcement.ready", id=announcement.pk, name=announcement.name
            )


def _announcement_later(announcement: TtsAnnouncement, error: str = "", **fields) -> None:
    if announcement.poll_again(error=error, **fields):
        poll_announcement.apply_async_on_commit((announcement.pk,), eta=announcement.next_poll_at)
    elif announcement.poll_status == TtsAnnouncement.PollStatus.FAILED:
        TtsAnnouncement.objects.filter(pk=announcement.pk).update(state=TtsAnnouncement.State.FAILED)


def settle_abandoned_generations() -> None:
    """A generate request still "being sent" long after it began died with its process: unknown."""
    TtsAnnouncement.objects.filter(
        state=TtsAnnouncement.State.SUBMITTING,
        created_at__lt=timezone.now() - TtsAnnouncement.SUBMITTING_GIVES_UP_AFTER,
    ).update(
        state=TtsAnnouncement.State.UNKNOWN,
        last_error=gettext_noop(
            "The request ended before the provider's answer was recorded: check the list."
        ),
    )


@shared_task(bind=True, max_retries=20)
def order_demo_call_history(self, tenant_id: int) -> None:
    """The demo tenant's first call history (the last 90 days), ordered once the sandbox answers.

    Retried only while the connection is refused, when the order cannot have reached the sandbox.
    """
    account = sync.configured_account(tenant_id)
    if account is None or CallHistoryReport.objects.filter(tenant_id=tenant_id).exists():
        return
    today = timezone.localdate()
    try:
        services.order_call_history(
            account,
            None,
            direction=CallDirection.BOTH,
            date_start=today - timedelta(days=89),
            date_end=today,
            recordings_only=False,
            number="",
        )
    except UnavailableError as error:
        if error.outcome_unknown:
            raise
        raise self.retry(countdown=3) from None
