"""The background copy of SPIKON data: reads from the provider turned into rows (idempotent upserts).

Each sync reads everything it needs from the provider first, then writes in one transaction, so that a
failed call or a broken answer leaves the previous copy whole. Rows made by a page while a sync was
reading (a book or an entry just added) are kept: the next sync sees them at the provider.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Hashable
from datetime import timedelta

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import sync as sync_state
from accounts.media_checks import MP3, WAV, file_audio_type
from accounts.models import Tenant
from provider_api.errors import InvalidInputError, NotFoundError, ProviderError, UnavailableError
from spikon import client as api
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    CallDirection,
    CallHistoryReport,
    CallRecord,
    CampaignMonitorSnapshot,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    SpikonAccount,
    TtsAnnouncement,
    TtsLanguage,
    TtsVoice,
    private_media_path,
)

SYNC_KEY = "spikon"  # this app's key in SyncStatus rows and the sync registry (accounts.sync)

# What is synced, one resource at a time: balance and phone accounts (4.2), phonebooks and their entries
# (4.3), call center campaigns and agents (4.5), announcements (4.7.4), text-to-speech voices (4.7.1-4.7.2).
ACCOUNT = "account"
PHONEBOOKS = "phonebooks"
CALL_CENTER = "callcenter"
ANNOUNCEMENTS = "announcements"
VOICES = "voices"
RESOURCES = (ACCOUNT, PHONEBOOKS, CALL_CENTER, ANNOUNCEMENTS, VOICES)
BATCH = 500


def queue(tenant: Tenant, resource: str, *, scheduled: bool = False) -> bool:
    """Queue the sync of one resource of the tenant (once the transaction commits)."""
    return sync_state.queue_sync(tenant, SYNC_KEY, resource, scheduled=scheduled)


def configured_account(tenant_id: int) -> SpikonAccount | None:
    account = SpikonAccount.objects.filter(tenant_id=tenant_id).first()
    return account if account is not None and account.is_configured else None


def sync_account(tenant_id: int) -> None:
    """Refresh the balance and the phone accounts; provider errors are recorded on the sync status."""
    try:
        with sync_state.syncing(tenant_id, SYNC_KEY, ACCOUNT):
            # Entered even without an account, so that a queued sync never looks queued forever.
            account = configured_account(tenant_id)
            if account is not None:
                client = account.client(in_request=False)
                balance = client.balance()
                phones = client.phone_accounts()
                with transaction.atomic():
                    SpikonAccount.objects.filter(pk=account.pk).update(balance=balance)
                    save_phone_accounts(tenant_id, phones)
    except sync_state.SyncSkipped:
        return


def save_phone_accounts(tenant_id: int, phones: list[api.PhoneAccount]) -> None:
    existing = {row.provider_id: row for row in PhoneAccount.objects.filter(tenant_id=tenant_id)}
    created, changed = [], []
    for phone in {phone.id: phone for phone in phones}.values():
        row = existing.pop(phone.id, None) or PhoneAccount(tenant_id=tenant_id, provider_id=phone.id)
        values = {
            "number": _clip(phone.number or "", PhoneAccount, "number"),
            "internal_number": _clip(phone.internal_number or "", PhoneAccount, "internal_number"),
            "sip_login": _clip(phone.sip_login, PhoneAccount, "sip_login"),
            "description": _clip(phone.description, PhoneAccount, "description"),
            "registration_state": phone.registration_state,
            "recording": phone.recording,
        }
        if row.pk is None:
            created.append(_assign(row, values))
        elif _differs(row, values):
            changed.append(_assign(row, values))
    PhoneAccount.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    PhoneAccount.objects.bulk_create(created, batch_size=BATCH)
    PhoneAccount.objects.bulk_update(
        changed,
        ["number", "internal_number", "sip_login", "description", "registration_state", "recording"],
        batch_size=BATCH,
    )


def sync_phonebooks(tenant_id: int) -> None:
    """Refresh the phonebooks and every book's entries; provider errors are recorded on the sync status."""
    try:
        with sync_state.syncing(tenant_id, SYNC_KEY, PHONEBOOKS):
            account = configured_account(tenant_id)
            if account is not None:
                started_at = timezone.now()
                client = account.client(in_request=False)
                books = {book.id: book for book in client.phone_books()}
                entries = {book_id: _entries_of(client, book_id) for book_id in books}
                with transaction.atomic():
                    save_phonebooks(tenant_id, books, entries, started_at)
    except sync_state.SyncSkipped:
        return


def _entries_of(client: api.SpikonClient, book_id: int) -> list[api.PhoneBookEntry]:
    try:
        return client.phone_book_entries(book_id)
    except NotFoundError:
        # The book was listed a moment ago: -8 here means it is empty, or deleted meanwhile.
        return []


def save_phonebooks(
    tenant_id: int,
    books: dict[int, api.PhoneBook],
    entries: dict[int, list[api.PhoneBookEntry]],
    started_at,
) -> None:
    existing = {row.provider_id: row for row in PhoneBook.objects.filter(tenant_id=tenant_id)}
    gone = [row.pk for provider_id, row in existing.items() if provider_id not in books]
    # A book added from a page while this sync was reading is not in its answer: keep it.
    PhoneBook.objects.filter(pk__in=gone, created_at__lt=started_at).delete()
    renamed = []
    for book in books.values():
        name = _clip(book.name, PhoneBook, "name")
        row = existing.get(book.id)
        if row is None:
            existing[book.id] = PhoneBook.objects.create(tenant_id=tenant_id, provider_id=book.id, name=name)
        elif row.name != name:
            row.name = name
            renamed.append(row)
    PhoneBook.objects.bulk_update(renamed, ["name"], batch_size=BATCH)
    for book_id, book_entries in entries.items():
        _save_entries(existing[book_id], book_entries, started_at)


def _entry_keys(items: list[tuple[int | None, str, str]]) -> list[Hashable]:
    """How rows and answers are matched: by the provider's id, or (without one) by name and number."""
    seen: Counter = Counter()
    keys: list[Hashable] = []
    for provider_id, name, number in items:
        if provider_id is not None:
            keys.append(("id", provider_id))
        else:
            seen[(name, number)] += 1
            keys.append(("entry", name, number, seen[(name, number)]))
    return keys


def _save_entries(book: PhoneBook, answer: list[api.PhoneBookEntry], started_at) -> None:
    rows = list(PhoneBookEntry.objects.filter(book=book).order_by("id"))
    row_keys = _entry_keys([(row.provider_id, row.name, row.number) for row in rows])
    wanted = [
        (
            entry.id,
            _clip(entry.name, PhoneBookEntry, "name"),
            _clip(entry.number, PhoneBookEntry, "number"),
        )
        for entry in answer
    ]
    by_key = dict(zip(row_keys, rows, strict=True))
    created, changed = [], []
    for key, (provider_id, name, number) in zip(_entry_keys(wanted), wanted, strict=True):
        row = by_key.pop(key, None)
        if row is None:
            created.append(
                PhoneBookEntry(
                    tenant_id=book.tenant_id, book=book, provider_id=provider_id, name=name, number=number
                )
            )
        elif (row.name, row.number) != (name, number):
            row.name, row.number = name, number
            changed.append(row)
    gone = [row.pk for row in by_key.values() if row.created_at < started_at]
    for start in range(0, len(gone), BATCH):
        PhoneBookEntry.objects.filter(pk__in=gone[start : start + BATCH]).delete()
    PhoneBookEntry.objects.bulk_create(created, batch_size=BATCH)
    PhoneBookEntry.objects.bulk_update(changed, ["name", "number"], batch_size=BATCH)


def _clip(text: str, model, field: str) -> str:
    """Provider text cut to the column's length: a longer value must not fail the whole sync."""
    return text[: model._meta.get_field(field).max_length]


def _assign(row, values: dict):
    for name, value in values.items():
        setattr(row, name, value)
    return row


def _differs(row, values: dict) -> bool:
    return any(getattr(row, name) != value for name, value in values.items())


# --- Call history (4.4), call center (4.5), text-to-speech (4.7) ---------------------------------------------

CALL_BATCH = 1000
# While a campaign is watched, its monitor is read this often, with a short wait for the provider.
MONITOR_REFRESH_SECONDS = 5
MONITOR_TIMEOUT = (2.0, 4.0)
# Two refreshes of one campaign never ask the provider within this interval of each other.
MONITOR_MIN_INTERVAL = timedelta(seconds=2)


def store_calls(report: CallHistoryReport, records: list[api.CallRecord]) -> int:
    """Upsert the calls of a fetched report (4.4.3); returns how many distinct calls it held.

    A call is the same row whichever report brings it (tenant, start, source, destination), so a
    re-fetch or an overlapping report adds nothing. A report of one direction tells every call's
    direction; one of both directions leaves it to the phone accounts' numbers, and never overwrites
    a direction a one-way report has set.
    """
    one_way = report.direction != CallDirection.BOTH
    own_numbers = set() if one_way else _own_numbers(report.tenant_id)
    now = timezone.now()
    rows: dict[tuple, CallRecord] = {}
    for record in records:
        source = _clip(record.source, CallRecord, "source")
        destination = _clip(record.destination, CallRecord, "destination")
        url = record.recording_url or ""
        file_name = record.recording_file_name or ""
        if len(url) > CallRecord._meta.get_field("recording_url").max_length:
            url = ""  # a link cut short would fetch nothing: better none than a broken one
        rows[(record.started_at, source, destination)] = CallRecord(
            tenant_id=report.tenant_id,
            started_at=record.started_at,
            source=source,
            destination=destination,
            duration_seconds=max(record.duration_seconds, 0),
            state=_clip(record.state, CallRecord, "state"),
            direction=report.direction if one_way else _direction(source, destination, own_numbers),
            has_recording=bool(url or file_name),
            recording_url=url,
            recording_file_name=_clip(file_name, CallRecord, "recording_file_name"),
            stored_at=now,
        )
    update_fields = ["duration_seconds", "state", "has_recording", "recording_url", "recording_file_name"]
    if one_way:
        update_fields.append("direction")
    batch = list(rows.values())
    for start in range(0, len(batch), CALL_BATCH):
        CallRecord.objects.bulk_create(
            batch[start : start + CALL_BATCH],
            update_conflicts=True,
            unique_fields=["tenant", "started_at", "source", "destination"],
            update_fields=update_fields,
        )
    return len(batch)


def _own_numbers(tenant_id: int) -> set[str]:
    numbers = PhoneAccount.objects.filter(tenant_id=tenant_id).exclude(number="")
    return {_last_digits(number) for number in numbers.values_list("number", flat=True)}


def _last_digits(number: str) -> str:
    """The national part of a number: "48583001100", "+48 583 001 100" and "583001100" are one number."""
    digits = "".join(character for character in number if character.isdigit())
    return digits[-9:]


def _direction(source: str, destination: str, own_numbers: set[str]) -> int | None:
    """Incoming when only the destination is one of the tenant's numbers, outgoing when only the source is."""
    ours_called = _last_digits(destination) in own_numbers
    ours_calling = _last_digits(source) in own_numbers
    if ours_called and not ours_calling:
        return CallDirection.INCOMING
    if ours_calling and not ours_called:
        return CallDirection.OUTGOING
    return None


def sync_call_center(tenant_id: int) -> None:
    """Refresh the campaigns (4.5.1) and the agents with their memberships (4.5.2)."""
    try:
        with sync_state.syncing(tenant_id, SYNC_KEY, CALL_CENTER):
            account = configured_account(tenant_id)
            if account is not None:
                started_at = timezone.now()
                client = account.client(in_request=False)
                campaigns = client.call_center_campaigns()
                agents = client.call_center_agents()
                with transaction.atomic():
                    save_call_center(tenant_id, campaigns, agents, started_at)
    except sync_state.SyncSkipped:
        return


def save_call_center(
    tenant_id: int, campaigns: list[api.Campaign], agents: list[api.Agent], started_at
) -> None:
    existing = {row.provider_id: row for row in CallCenterCampaign.objects.filter(tenant_id=tenant_id)}
    listed = {campaign.id: campaign for campaign in campaigns}
    CallCenterCampaign.objects.filter(
        pk__in=[row.pk for provider_id, row in existing.items() if provider_id not in listed]
    ).delete()
    created, renamed = [], []
    for campaign in listed.values():
        name = _clip(campaign.name, CallCenterCampaign, "name")
        row = existing.get(campaign.id)
        if row is None:
            created.append(CallCenterCampaign(tenant_id=tenant_id, provider_id=campaign.id, name=name))
        elif row.name != name:
            row.name = name
            renamed.append(row)
    CallCenterCampaign.objects.bulk_create(created, batch_size=BATCH)
    CallCenterCampaign.objects.bulk_update(renamed, ["name"], batch_size=BATCH)

    rows = {row.provider_id: row for row in CallCenterAgent.objects.filter(tenant_id=tenant_id)}
    listed_agents = {agent.id: agent for agent in agents}
    CallCenterAgent.objects.filter(
        pk__in=[
            row.pk
            for provider_id, row in rows.items()
            if provider_id not in listed_agents and row.updated_at < started_at
        ]
    ).delete()
    new_agents, changed = [], []
    fields = [
        "name",
        "sip_login",
        "public_number",
        "incoming_campaign_ids",
        "outgoing_campaign_ids",
        "default_outgoing_campaign_id",
    ]
    for agent in listed_agents.values():
        values = {
            "name": _clip(agent.name, CallCenterAgent, "name"),
            "sip_login": _clip(agent.sip_login, CallCenterAgent, "sip_login"),
            "public_number": _clip(agent.public_number or "", CallCenterAgent, "public_number"),
            "incoming_campaign_ids": sorted(set(agent.incoming_campaign_ids)),
            "outgoing_campaign_ids": sorted(set(agent.outgoing_campaign_ids)),
            "default_outgoing_campaign_id": agent.default_outgoing_campaign_id,
        }
        row = rows.get(agent.id)
        if row is None:
            new_agents.append(_assign(CallCenterAgent(tenant_id=tenant_id, provider_id=agent.id), values))
        elif row.updated_at < started_at and _differs(row, values):
            # A change made from a page after this sync read the provider is newer than its answer.
            changed.append(_assign(row, values))
    CallCenterAgent.objects.bulk_create(new_agents, batch_size=BATCH)
    CallCenterAgent.objects.bulk_update(changed, fields, batch_size=BATCH)


def sync_voices(tenant_id: int) -> None:
    """Refresh the text-to-speech languages (4.7.1) and each language's voices (4.7.2)."""
    try:
        with sync_state.syncing(tenant_id, SYNC_KEY, VOICES):
            account = configured_account(tenant_id)
            if account is not None:
                client = account.client(in_request=False)
                languages = {language.code: language for language in client.tts_languages()}
                voices = {code: _voices_of(client, code) for code in languages}
                with transaction.atomic():
                    save_voices(tenant_id, languages, voices)
    except sync_state.SyncSkipped:
        return


def _voices_of(client: api.SpikonClient, code: str) -> list[api.TtsVoice]:
    try:
        return client.tts_voices(code)
    except (NotFoundError, InvalidInputError):
        return []  # listed a moment ago, refused now: a language without voices cannot be chosen


def save_voices(
    tenant_id: int, languages: dict[str, api.TtsLanguage], voices: dict[str, list[api.TtsVoice]]
) -> None:
    TtsLanguage.objects.filter(tenant_id=tenant_id).exclude(code__in=list(languages)).delete()
    rows = {row.code: row for row in TtsLanguage.objects.filter(tenant_id=tenant_id)}
    for code, language in languages.items():
        description = _clip(language.description, TtsLanguage, "description")
        row = rows.get(code)
        if row is None:
            rows[code] = TtsLanguage.objects.create(
                tenant_id=tenant_id, code=_clip(code, TtsLanguage, "code"), description=description
            )
        elif row.description != description:
            row.description = description
            row.save(update_fields=["description"])
    TtsVoice.objects.filter(tenant_id=tenant_id).delete()
    TtsVoice.objects.bulk_create(
        [
            TtsVoice(
                tenant_id=tenant_id,
                language=rows[code],
                name=_clip(voice.name, TtsVoice, "name"),
                gender=_clip(voice.gender, TtsVoice, "gender"),
            )
            for code, language_voices in voices.items()
            for voice in {voice.name: voice for voice in language_voices}.values()
        ],
        batch_size=BATCH,
    )


def sync_announcements(tenant_id: int) -> list[int]:
    """Refresh the announcements (4.7.4); returns the ids of the rows whose audio is now to be fetched.

    An announcement made elsewhere becomes a row that follows the same path as one generated here
    (status, then the audio). One the provider no longer lists was deleted there: it goes here too.
    """
    to_poll: list[int] = []
    try:
        with sync_state.syncing(tenant_id, SYNC_KEY, ANNOUNCEMENTS):
            account = configured_account(tenant_id)
            if account is not None:
                known = known_announcements(tenant_id)
                listed = account.client(in_request=False).tts_announcements()
                with transaction.atomic():
                    to_poll = save_announcements(tenant_id, listed, known)
    except sync_state.SyncSkipped:
        return []
    return to_poll


def known_announcements(tenant_id: int) -> set[int]:
    """The rows that had a provider id before the sync asked for the list: only these can be "gone"."""
    rows = TtsAnnouncement.objects.filter(tenant_id=tenant_id, provider_id__isnull=False)
    return set(rows.values_list("pk", flat=True))


def save_announcements(tenant_id: int, listed: list[api.TtsAnnouncement], known: set[int]) -> list[int]:
    """`known`: see known_announcements; one generated from a page while the sync read is kept."""
    rows = {
        row.provider_id: row
        for row in TtsAnnouncement.objects.filter(tenant_id=tenant_id, provider_id__isnull=False)
    }
    answer = {announcement.id: announcement for announcement in listed}
    gone = [row for provider_id, row in rows.items() if provider_id not in answer and row.pk in known]
    delete_announcements(gone)
    to_poll = []
    now = timezone.now()
    for announcement in answer.values():
        name = _clip(announcement.name, TtsAnnouncement, "name")
        row = rows.get(announcement.id)
        if row is None:
            state = TtsAnnouncement.State.READY if announcement.generated else TtsAnnouncement.State.PENDING
            row = TtsAnnouncement(tenant_id=tenant_id, provider_id=announcement.id, name=name, state=state)
            row.start_polling(now - row.FIRST_POLL_DELAY)
            row.save()
            to_poll.append(row.pk)
        elif row.name != name:
            TtsAnnouncement.objects.filter(pk=row.pk).update(name=name)
    return to_poll


def delete_announcements(rows: list[TtsAnnouncement]) -> None:
    """Delete the rows, and their audio files once the deletion has committed."""
    names = [field.name for row in rows for field in (row.audio_mp3, row.audio_wav) if field]
    TtsAnnouncement.objects.filter(pk__in=[row.pk for row in rows]).delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def download_announcement(client: api.SpikonClient, announcement: TtsAnnouncement) -> dict[str, str]:
    """Fetch an announcement's audio as MP3 and as WAV PCM 8 kHz 16-bit mono (4.7.5) into media storage.

    Returns the stored names by field; nothing is kept when either download fails.
    """
    stored: dict[str, str] = {}
    try:
        for field, wav in (("audio_mp3", False), ("audio_wav", True)):
            with tempfile.TemporaryFile() as buffer:
                client.download_tts(announcement.provider_id, buffer, wav_pcm_8k=wav)
                if file_audio_type(buffer) != (WAV if wav else MP3):
                    raise UnavailableError(
                        f"the announcement's audio is not {'WAV' if wav else 'MP3'}", provider=api.PROVIDER
                    )
                path = private_media_path(announcement, "audio.wav" if wav else "audio.mp3")
                stored[field] = default_storage.save(path, File(buffer))
    except BaseException:
        for name in stored.values():
            default_storage.delete(name)
        raise
    return stored


def refresh_monitor(snapshot_id: int) -> bool:
    """Read a watched campaign's monitor (4.5.8) into its snapshot; True while the campaign is still
    watched (the caller plans the next refresh after MONITOR_REFRESH_SECONDS).

    Of several refreshes of one campaign at once (a lost message re-planned while the first was only
    late), one asks the provider and goes on, the others stop. When the provider does not answer, the
    last figures stay, with the error and since when it fails.
    """
    now = timezone.now()
    rows = CampaignMonitorSnapshot.objects.filter(pk=snapshot_id)
    due = Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - MONITOR_MIN_INTERVAL)
    if not rows.filter(due, watched_until__gte=now).update(last_attempt_at=now):
        rows.filter(Q(watched_until__isnull=True) | Q(watched_until__lt=now)).update(refresh_due_at=None)
        return False
    snapshot = rows.select_related("campaign").get()
    account = configured_account(snapshot.campaign.tenant_id)
    if account is None:
        rows.update(refresh_due_at=None)
        return False
    try:
        # Live figures: one short attempt, the next refresh is seconds away.
        client = account.client(in_request=True, timeout=MONITOR_TIMEOUT)
        monitor = client.campaign_monitor(snapshot.campaign.provider_id)
    except ProviderError as error:
        figures = {
            "last_error": account.explain_later(error)[:2000],
            "failing_since": Coalesce(F("failing_since"), now),
        }
    else:
        figures = {"data": monitor_data(monitor), "taken_at": now, "last_error": "", "failing_since": None}
    rows.update(refresh_due_at=timezone.now() + timedelta(seconds=MONITOR_REFRESH_SECONDS), **figures)
    return True


def monitor_data(monitor: api.CampaignMonitor) -> dict[str, object]:
    """The monitor as JSON for the snapshot: times as the clock text the provider shows."""
    return {
        "free_agents": monitor.free_agents,
        "busy_agents": monitor.busy_agents,
        "calls_waiting": monitor.calls_waiting,
        "answered": monitor.answered,
        "unanswered": monitor.unanswered,
        "in_queue": monitor.in_queue,
        "average_waiting_time": _clock(monitor.average_waiting_time),
        "max_waiting": monitor.max_waiting,
        "average_call_time": _clock(monitor.average_call_time),
        "measured_sla": _clock(monitor.measured_sla),
        "sla_percent": str(monitor.sla_percent),
        "members": [
            {
                "sip_login": member.sip_login,
                "description": member.description,
                "state": member.state,
                "answered": member.answered,
                "last_call": member.last_call,
                "on_pause": member.on_pause,
                "skill": member.skill,
            }
            for member in monitor.members
        ],
        "waiting_calls": [dict(call) for call in monitor.waiting_calls],
    }


def _clock(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
