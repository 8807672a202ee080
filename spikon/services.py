"""Changes made from the SPIKON pages: each calls the provider once, from the request, then writes the
local rows and the audit event together.

A ProviderError reaches the view (which explains it) after the failed attempt was audited; the local
copy is then as it was. Calls that cost money or act (click-to-call, SMS, generating an announcement) are
made once per confirmation, ever: its key is taken (providers.once) before the provider is called. Every
provider text is redacted before it is stored, audited or shown; follow-up tasks are queued after commit
and never fail the request (providers.queueing).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import audit
from accounts.media_checks import MP3, file_audio_type
from accounts.models import User
from provider_api.errors import (
    AlreadyExistsError,
    AuthenticationError,
    NotFoundError,
    ProviderError,
    UnavailableError,
    UnavailableReason,
)
from providers import accounts as provider_accounts
from providers.accounts import record_failure
from providers.formatting import money
from providers.once import ActionRecord, start_action
from providers.queueing import queue_after_commit
from providers.texts import later, shown
from spikon import client as api
from spikon import sync, tasks
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    CallDirection,
    CallHistoryReport,
    CallRecord,
    ClickToCall,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    SmsBatch,
    SmsMessage,
    SpikonAccount,
    TtsAnnouncement,
    private_media_path,
)

INCOMING = "incoming"
OUTGOING = "outgoing"
# A recording is fetched while the operator waits to play it.
RECORDING_TIMEOUT = (3.0, 10.0)


def _first_outcome(account: SpikonAccount, key: str) -> dict:
    """What the first use of a confirmation key made (empty while that request is still at it)."""
    record = ActionRecord.objects.filter(tenant_id=account.tenant_id, key=key).first()
    return record.outcome if record is not None else {}


def test_connection(account: SpikonAccount) -> provider_accounts.TestOutcome:
    """Test connection: the balance, the cheapest read that proves the key works."""
    return provider_accounts.test_connection(
        account,
        lambda client: client.balance(),
        lambda balance: _("The connection works. Balance: %(balance)s.") % {"balance": money(balance)},
    )


test_connection.__test__ = False  # a page's action, not a test


# --- Phonebooks (4.3) ----------------------------------------------------------------------------------------


def add_phone_book(account: SpikonAccount, user: User, name: str) -> PhoneBook:
    """Add a phonebook. AlreadyExistsError (the name is taken) is the form's to say, and not audited."""
    try:
        added = account.client(in_request=True).add_phone_book(name)
    except AlreadyExistsError:
        raise
    except ProviderError as error:
        record_failure(account, user, "spikon.phonebook.add", error, object_label=name)
        raise
    with transaction.atomic():
        book, _created = PhoneBook.objects.update_or_create(
            tenant_id=account.tenant_id, provider_id=added.id, defaults={"name": added.name[:100] or name}
        )
        audit.record(
            account.tenant, user, "spikon.phonebook.add", target=book, changes={"name": (None, book.name)}
        )
    return book


def delete_phone_book(account: SpikonAccount, user: User, book: PhoneBook) -> None:
    """Delete a phonebook with its entries; one already gone at the provider goes here too."""
    try:
        account.client(in_request=True).delete_phone_book(book.provider_id)
    except NotFoundError:
        pass
    except ProviderError as error:
        record_failure(account, user, "spikon.phonebook.delete", error, target=book)
        raise
    with transaction.atomic():
        audit.record(
            account.tenant,
            user,
            "spikon.phonebook.delete",
            target=book,
            changes={"name": (book.name, None), "entries": (book.entries.count(), None)},
        )
        book.delete()


def add_phone_book_entry(account: SpikonAccount, user: User, book: PhoneBook, name: str, number: str):
    try:
        added = account.client(in_request=True).add_phone_book_entry(book.provider_id, name, number)
    except ProviderError as error:
        label = f"{name} ({number})"
        record_failure(account, user, "spikon.phonebook_entry.add", error, object_label=label)
        raise
    with transaction.atomic():
        entry = PhoneBookEntry.objects.create(
            tenant_id=account.tenant_id,
            book=book,
            provider_id=added.id,
            name=added.name[:200] or name,
            number=added.number[:40] or number,
        )
        audit.record(
            account.tenant,
            user,
            "spikon.phonebook_entry.add",
            target=entry,
            changes={
                "phonebook": (None, book.name),
                "name": (None, entry.name),
                "number": (None, entry.number),
            },
        )
    return entry


def delete_phone_book_entry(account: SpikonAccount, user: User, entry: PhoneBookEntry) -> None:
    """Delete an entry the provider gave an id for; one already gone at the provider goes here too."""
    try:
        account.client(in_request=True).delete_phone_book_entry(entry.provider_id)
    except NotFoundError:
        pass
    except ProviderError as error:
        record_failure(account, user, "spikon.phonebook_entry.delete", error, target=entry)
        raise
    with transaction.atomic():
        audit.record(
            account.tenant,
            user,
            "spikon.phonebook_entry.delete",
            target=entry,
            changes={
                "phonebook": (entry.book.name, None),
                "name": (entry.name, None),
                "number": (entry.number, None),
            },
        )
        entry.delete()


# --- Click-to-call (4.2.3) -----------------------------------------------------------------------------------


CALL_SETTLED = {
    ClickToCall.Status.INITIATED: ActionRecord.State.DONE,
    ClickToCall.Status.REFUSED: ActionRecord.State.FAILED,
    ClickToCall.Status.UNKNOWN: ActionRecord.State.UNKNOWN,
}


def initiate_call(
    account: SpikonAccount, user: User, *, key: str, phone_account: PhoneAccount, destination: str
) -> ClickToCall | None:
    """Ring the phone account, then the destination; None when this confirmation was used already.

    Never retried: a lost answer leaves the call of unknown outcome.
    """
    record = start_action(account.tenant, key, "spikon.call.initiate", user=user)
    if record is None:
        return None
    call = ClickToCall.objects.create(
        tenant_id=account.tenant_id,
        user=user,
        username=user.get_username(),
        phone_account_id=phone_account.provider_id,
        phone_account_label=str(phone_account)[:250],
        destination=destination,
    )
    try:
        state = account.client(in_request=True).initiate_call(phone_account.provider_id, destination)
    except ProviderError as error:
        unknown = isinstance(error, UnavailableError) and error.outcome_unknown
        call.status = ClickToCall.Status.UNKNOWN if unknown else ClickToCall.Status.REFUSED
        call.error = account.explain_later(error)
    else:
        call.status = ClickToCall.Status.INITIATED
        call.provider_state = account.redact(state)[:100]
    call.finished_at = timezone.now()
    with transaction.atomic():
        call.save(update_fields=["status", "error", "provider_state", "finished_at"])
        record.settle(CALL_SETTLED[call.status], call=call.pk)
        audit.record(
            account.tenant,
            user,
            "spikon.call.initiate",
            target=call,
            object_label=f"{call.phone_account_label} → {destination}",
            changes={"destination": (None, destination)},
            outcome="success" if call.status == ClickToCall.Status.INITIATED else "failure",
            message=call.error,
        )
    return call


# --- SMS (4.6.1) ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsSending:
    """What became of one "send SMS" form: its batch and how many messages ended in each send status."""

    batch: SmsBatch | None
    counts: dict[str, int] = field(default_factory=dict)
    already_sent: bool = False

    @property
    def stored_summary(self) -> str:
        """The counts as the audit log keeps them: shown in its reader's language."""
        statuses = SmsMessage.SendStatus
        return later(
            gettext_noop(
                "%(accepted)d accepted, %(refused)d refused, %(unknown)d of unknown outcome, "
                "%(not_sent)d not sent."
            ),
            accepted=self.counts.get(statuses.ACCEPTED, 0),
            refused=self.counts.get(statuses.REFUSED, 0),
            unknown=self.counts.get(statuses.UNKNOWN, 0),
            not_sent=self.counts.get(statuses.NOT_SENT, 0),
        )

    @property
    def summary(self) -> str:
        return shown(self.stored_summary)


def send_sms(
    account: SpikonAccount,
    user: User,
    *,
    key: str,
    sender: str,
    text: str,
    recipients: list[tuple[str, str]],
) -> SmsSending:
    """Send `text` from `sender` to each (number, name) once, and audit the submission.

    A confirmation key used already sends nothing: the first submission's batch comes back (None while
    that request has not made it yet), `already_sent`.
    """
    record = start_action(account.tenant, key, "spikon.sms.send", user=user)
    if record is None:
        first = _first_outcome(account, key).get("batch")
        batch = SmsBatch.objects.filter(tenant_id=account.tenant_id, pk=first).first() if first else None
        return SmsSending(batch, already_sent=True)
    with transaction.atomic():
        batch = SmsBatch.objects.create(
            tenant_id=account.tenant_id, user=user, username=user.get_username(), sender=sender, text=text
        )
        SmsMessage.objects.bulk_create(
            SmsMessage(
                tenant_id=account.tenant_id,
                batch=batch,
                recipient=number,
                recipient_name=name[:200],
                send_status=SmsMessage.SendStatus.QUEUED,
            )
            for number, name in recipients
        )
        record.outcome = {"batch": batch.pk}
        record.save(update_fields=["outcome"])
    sending = SmsSending(batch, send_batch(account, batch))
    statuses = SmsMessage.SendStatus
    accepted = sending.counts.get(statuses.ACCEPTED, 0)
    if sending.counts.get(statuses.UNKNOWN):
        settled = ActionRecord.State.UNKNOWN
    else:
        settled = ActionRecord.State.DONE if accepted else ActionRecord.State.FAILED
    record.settle(settled)
    audit.record(
        account.tenant,
        user,
        "spikon.sms.send",
        target=batch,
        changes={"recipients": (None, sum(sending.counts.values())), "sender": (None, batch.sender)},
        outcome="success" if accepted else "failure",
        message=sending.stored_summary,
    )
    return sending


def send_batch(account: SpikonAccount, batch: SmsBatch) -> dict[str, int]:
    """Send each queued message of the batch once, in order; stop when the provider stops answering.

    Returns how many of the batch's messages are in each send status.
    """
    client = account.client(in_request=True)
    statuses = SmsMessage.SendStatus
    stop_reason = ""
    for message in batch.messages.filter(send_status=statuses.QUEUED).order_by("id"):
        if stop_reason:
            break
        now = timezone.now()
        if not SmsMessage.objects.filter(pk=message.pk, send_status=statuses.QUEUED).update(
            send_status=statuses.SENDING, sent_at=now
        ):
            continue
        try:
            ids = client.send_sms(message.recipient, batch.text, batch.sender)
        except ProviderError as error:
            unknown = isinstance(error, UnavailableError) and error.outcome_unknown
            _close(message, statuses.UNKNOWN if unknown else statuses.REFUSED, account.explain_later(error))
            if isinstance(error, UnavailableError | AuthenticationError):
                stop_reason = gettext_noop(
                    "Not sent: the provider stopped answering or refused the key while sending earlier messages."
                )
            continue
        if not ids:
            _close(
                message,
                statuses.UNKNOWN,
                gettext_noop("The provider accepted the message but gave no message ID to follow."),
            )
            continue
        message.provider_id = ids[0]
        message.send_status = statuses.ACCEPTED
        message.start_polling()
        message.save(update_fields=["provider_id", "send_status", "poll_status", "next_poll_at"])
        queue_after_commit(tasks.poll_sms_state, message.pk, eta=message.next_poll_at)
    if stop_reason:
        unsent = batch.messages.filter(send_status=statuses.QUEUED)
        unsent.update(
            send_status=statuses.NOT_SENT,
            poll_status=SmsMessage.PollStatus.FAILED,
            last_error=stop_reason,
            finished_at=timezone.now(),
        )
    return dict(batch.messages.values_list("send_status").annotate(count=Count("id")).order_by())


def _close(message: SmsMessage, status: str, reason: str) -> None:
    """A message that will not be followed: refused, or of unknown outcome (never sent again by itself)."""
    SmsMessage.objects.filter(pk=message.pk).update(
        send_status=status,
        poll_status=SmsMessage.PollStatus.FAILED,
        last_error=reason[:2000],
        finished_at=timezone.now(),
    )


# --- Text-to-speech (4.7) ------------------------------------------------------------------------------------

# An announcement's checked price is confirmed as a signed quote (the page's form or the API's answer).
QUOTE_SALT = "spikon.tts.quote"
# How long a checked price may be confirmed: the provider's price list could change meanwhile.
QUOTE_MAX_AGE = 30 * 60


def price_announcement(account: SpikonAccount, voice: str, text: str) -> api.TtsPrice:
    """What generating `text` with `voice` would cost (4.7.7): a read, nothing is audited."""
    return account.client(in_request=True).tts_price(voice, text)


def generate_announcement(account: SpikonAccount, user: User, quote: dict) -> TtsAnnouncement | None:
    """Generate the announcement of a checked quote (4.7.3), once ever: None when the quote was used
    already, even if what it made was deleted or synced away since.

    Costs money: never retried. On a ProviderError the failure is audited; an announcement of unknown
    outcome stays listed as such (it may have been made and charged), a refused one is not kept.
    """
    record = start_action(account.tenant, quote["key"], "spikon.tts.generate", user=user)
    if record is None:
        return None
    item = TtsAnnouncement.objects.create(
        tenant_id=account.tenant_id,
        state=TtsAnnouncement.State.SUBMITTING,
        name=quote["name"],
        voice=quote["voice"],
        text=quote["text"],
        cost_net=quote["net"],
        cost_gross=quote["gross"],
        created_by=user,
    )
    try:
        provider_id = account.client(in_request=True).generate_tts(item.voice, item.name, item.text)
    except ProviderError as error:
        record_failure(
            account,
            user,
            "spikon.tts.generate",
            error,
            target=item,
            changes={"name": (None, item.name), "voice": (None, item.voice)},
        )
        if isinstance(error, UnavailableError) and error.outcome_unknown:
            item.state, item.last_error = TtsAnnouncement.State.UNKNOWN, account.explain_later(error)
            item.save(update_fields=["state", "last_error"])
            record.settle(ActionRecord.State.UNKNOWN, announcement=item.pk)
        else:
            item.delete()
            record.settle(ActionRecord.State.FAILED)
        raise
    item.provider_id = provider_id
    item.state = TtsAnnouncement.State.PENDING
    item.start_polling()
    with transaction.atomic():
        # A list sync that ran meanwhile may have made a row for the new id: this one replaces it.
        synced = TtsAnnouncement.objects.filter(tenant_id=account.tenant_id, provider_id=provider_id)
        if synced.exclude(pk=item.pk).exists():
            sync.delete_announcements(list(synced.exclude(pk=item.pk)))
        item.save(update_fields=["provider_id", "state", "poll_status", "next_poll_at"])
        record.settle(ActionRecord.State.DONE, announcement=item.pk)
        audit.record(
            account.tenant,
            user,
            "spikon.tts.generate",
            target=item,
            changes={
                "name": (None, item.name),
                "voice": (None, item.voice),
                "characters": (None, len(item.text)),
                "price gross": (None, item.cost_gross),
            },
        )
    queue_after_commit(tasks.poll_announcement, item.pk, eta=item.next_poll_at)
    return item


def delete_announcement(account: SpikonAccount | None, user: User, item: TtsAnnouncement) -> str:
    """Delete the announcement at the provider (4.7.6) and here; returns the provider's remark when it
    was gone there already. `account` may be None only for a row the provider never had."""
    remark = ""
    if item.provider_id is not None:
        try:
            account.client(in_request=True).delete_tts(item.provider_id)
        except NotFoundError as error:
            remark = account.explain_later(error)
        except ProviderError as error:
            record_failure(account, user, "spikon.tts.delete", error, target=item)
            raise
    with transaction.atomic():
        audit.record(
            item.tenant,
            user,
            "spikon.tts.delete",
            target=item,
            changes={"name": (item.name, None)},
            message=remark,
        )
        sync.delete_announcements([item])
    return remark


# --- Call center (4.5.3-4.5.7) -------------------------------------------------------------------------------


def _campaign_names(tenant_id: int, ids: list[int]) -> list[str]:
    names = dict(CallCenterCampaign.objects.filter(tenant_id=tenant_id).values_list("provider_id", "name"))
    return [names.get(campaign_id, f"#{campaign_id}") for campaign_id in sorted(ids)]


def set_membership(
    account: SpikonAccount,
    user: User,
    agent: CallCenterAgent,
    campaign: CallCenterCampaign,
    *,
    direction: str,
    add: bool,
) -> None:
    """Add the agent to the campaign or remove them, for inbound (INCOMING) or outbound (OUTGOING) calls."""
    client = account.client(in_request=True)
    call = {
        (INCOMING, True): client.add_agent_to_incoming_campaign,
        (INCOMING, False): client.remove_agent_from_incoming_campaign,
        (OUTGOING, True): client.add_agent_to_outgoing_campaign,
        (OUTGOING, False): client.remove_agent_from_outgoing_campaign,
    }[(direction, add)]
    field_name = "incoming_campaign_ids" if direction == INCOMING else "outgoing_campaign_ids"
    label = _("inbound campaigns") if direction == INCOMING else _("outbound campaigns")
    action = {
        (INCOMING, True): "spikon.agent.incoming.add",
        (INCOMING, False): "spikon.agent.incoming.remove",
        (OUTGOING, True): "spikon.agent.outgoing.add",
        (OUTGOING, False): "spikon.agent.outgoing.remove",
    }[(direction, add)]
    about = {"target": agent, "object_label": f"{agent.name} – {campaign.name}"}
    try:
        call(agent.provider_id, campaign.provider_id)
    except ProviderError as error:
        record_failure(account, user, action, error, **about)
        if isinstance(error, AlreadyExistsError | NotFoundError):
            sync.queue(account.tenant, sync.CALL_CENTER)  # the copy here was out of date: fetch it anew
        raise
    before = list(getattr(agent, field_name))
    members = set(before) | {campaign.provider_id} if add else set(before) - {campaign.provider_id}
    setattr(agent, field_name, sorted(members))
    agent.updated_at = timezone.now()
    with transaction.atomic():
        agent.save(update_fields=[field_name, "updated_at"])
        audit.record(
            account.tenant,
            user,
            action,
            changes={
                str(label): (
                    _campaign_names(agent.tenant_id, before),
                    _campaign_names(agent.tenant_id, getattr(agent, field_name)),
                )
            },
            **about,
        )


def set_default_outgoing_campaign(
    account: SpikonAccount, user: User, agent: CallCenterAgent, campaign: CallCenterCampaign
) -> None:
    action = "spikon.agent.default_outgoing"
    try:
        account.client(in_request=True).set_default_outgoing_campaign(agent.provider_id, campaign.provider_id)
    except ProviderError as error:
        record_failure(account, user, action, error, target=agent)
        raise
    before = agent.default_outgoing_campaign_id
    agent.default_outgoing_campaign_id = campaign.provider_id
    agent.updated_at = timezone.now()
    with transaction.atomic():
        agent.save(update_fields=["default_outgoing_campaign_id", "updated_at"])
        audit.record(
            account.tenant,
            user,
            action,
            target=agent,
            changes={
                "default outbound campaign": (
                    _campaign_names(agent.tenant_id, [before])[0] if before is not None else None,
                    campaign.name,
                )
            },
        )


# --- Call history and recordings (4.4) -----------------------------------------------------------------------


def order_call_history(
    account: SpikonAccount,
    user: User | None,
    *,
    direction: int,
    date_start: date,
    date_end: date,
    recordings_only: bool,
    number: str,
) -> CallHistoryReport:
    """Order a call history report (4.4.1) and make its row, whose polls Celery then follows."""
    label = f"{date_start:%Y-%m-%d} – {date_end:%Y-%m-%d}"
    try:
        report_id = account.client(in_request=True).order_call_history(
            date_start,
            date_end,
            direction=api.CallDirection(direction),
            with_recordings_only=recordings_only,
            number=number or None,
        )
    except ProviderError as error:
        record_failure(
            account,
            user,
            "spikon.history.order",
            error,
            object_type=CallHistoryReport._meta.label_lower,
            object_label=label,
        )
        raise
    report = CallHistoryReport(
        tenant_id=account.tenant_id,
        provider_report_id=report_id,
        direction=direction,
        date_start=date_start,
        date_end=date_end,
        recordings_only=recordings_only,
        number=number,
        ordered_by=user,
    )
    report.start_polling()
    with transaction.atomic():
        report.save()
        audit.record(
            account.tenant,
            user,
            "spikon.history.order",
            target=report,
            object_label=label,
            changes={
                "direction": (None, str(CallDirection(direction).label)),
                "range": (None, label),
                "recordings only": (None, recordings_only),
                "number": (None, number or None),
            },
        )
    queue_after_commit(tasks.poll_call_history_report, report.pk, eta=report.next_poll_at)
    return report


def fetch_recording(account: SpikonAccount, call: CallRecord) -> None:
    """Fetch a call's recording from the provider's link (4.4.3 `file`) once into media storage.

    Raises ProviderError when the provider does not give it; a partial download is thrown away.
    """
    client = account.client(in_request=True, timeout=RECORDING_TIMEOUT)
    with tempfile.TemporaryFile() as buffer:
        client.download_recording(call.recording_url, buffer)
        # Stored only if it is audio, under the type its content has: whatever the provider claimed.
        content_type = file_audio_type(buffer)
        if content_type is None:
            raise UnavailableError(
                "the recording is not MP3 or WAV audio",
                provider=api.PROVIDER,
                reason=UnavailableReason.UNREADABLE,
            )
        extension = ".mp3" if content_type == MP3 else ".wav"
        name = default_storage.save(private_media_path(call, f"recording{extension}"), File(buffer))
    stored = CallRecord.objects.filter(pk=call.pk, recording_audio="").update(
        recording_audio=name, recording_content_type=content_type
    )
    if stored:
        call.recording_audio.name, call.recording_content_type = name, content_type
    else:
        # Another request stored it meanwhile: keep theirs, drop this copy.
        default_storage.delete(name)
        call.refresh_from_db(fields=["recording_audio", "recording_content_type"])
