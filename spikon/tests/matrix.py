"""Objects the role-matrix test needs for the SPIKON URLs that take an id (see accounts/tests/matrix.py).

Every call makes a fresh object in the given tenant.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import Tenant
from spikon.models import (
    CallCenterAgent,
    CallCenterCampaign,
    CallDirection,
    CallHistoryReport,
    CallRecord,
    PhoneBook,
    PhoneBookEntry,
    PhoneBookImport,
    PhoneBookImportRow,
    TtsAnnouncement,
)

# --- Phonebooks


def a_book(tenant: Tenant) -> PhoneBook:
    provider_id = 100 + PhoneBook.objects.filter(tenant=tenant).count()
    return PhoneBook.objects.create(tenant=tenant, provider_id=provider_id, name=f"Matrix {provider_id}")


def a_phonebook(tenant: Tenant) -> dict[str, int]:
    return {"book_id": a_book(tenant).pk}


def an_entry(tenant: Tenant) -> dict[str, int]:
    book = a_book(tenant)
    entry = PhoneBookEntry.objects.create(
        tenant=tenant, book=book, provider_id=900, name="Jan", number="601234567"
    )
    return {"book_id": book.pk, "entry_id": entry.pk}


def an_import(tenant: Tenant) -> dict[str, int]:
    job = PhoneBookImport.objects.create(tenant=tenant, book=a_book(tenant), file_name="kontakty.csv")
    PhoneBookImportRow.objects.create(
        row_import=job, line=1, name="Jan", number="601234567", status=PhoneBookImportRow.Status.TO_ADD
    )
    return {"import_id": job.pk}


# --- Call history, announcements, call center

MATRIX_AUDIO = "spikon/matrix/audio.wav"


def _stored_audio() -> str:
    """One small stored file that the matrix's calls and announcements share (their views serve it)."""
    if not default_storage.exists(MATRIX_AUDIO):
        default_storage.save(MATRIX_AUDIO, ContentFile(b"RIFF\x24\x00\x00\x00WAVEfmt "))
    return MATRIX_AUDIO


def a_report(tenant: Tenant) -> dict[str, int]:
    report = CallHistoryReport.objects.create(
        tenant=tenant,
        provider_report_id=1,
        state=CallHistoryReport.State.STORED,
        poll_status=CallHistoryReport.PollStatus.FINISHED,
        direction=CallDirection.BOTH,
        date_start=timezone.localdate(),
        date_end=timezone.localdate(),
        generated_at=timezone.now(),
    )
    return {"report_id": report.pk}


def a_recorded_call(tenant: Tenant) -> dict[str, object]:
    call = CallRecord.objects.create(
        tenant=tenant,
        started_at=timezone.now(),
        source=f"60{CallRecord.objects.count():07d}",
        destination="583001100",
        duration_seconds=65,
        state="Odebrane",
        direction=CallDirection.INCOMING,
        has_recording=True,
        recording_url="https://panel.spikon.pl/channels/lists/call/get_playback_file?id=1",
        recording_audio=_stored_audio(),
        recording_content_type="audio/wav",
    )
    return {"call_id": call.public_id}


def an_announcement(tenant: Tenant) -> dict[str, int]:
    item = TtsAnnouncement.objects.create(
        tenant=tenant,
        provider_id=500 + TtsAnnouncement.objects.filter(tenant=tenant).count(),
        name="Powitanie",
        state=TtsAnnouncement.State.STORED,
        poll_status=TtsAnnouncement.PollStatus.FINISHED,
        audio_mp3=_stored_audio(),
        audio_wav=_stored_audio(),
    )
    return {"announcement_id": item.pk}


def an_announcement_audio(tenant: Tenant) -> dict[str, object]:
    return {**an_announcement(tenant), "audio_format": "wav"}


def a_campaign(tenant: Tenant) -> CallCenterCampaign:
    provider_id = 100 + CallCenterCampaign.objects.filter(tenant=tenant).count()
    return CallCenterCampaign.objects.create(
        tenant=tenant, provider_id=provider_id, name=f"Kampania {provider_id}"
    )


def an_agent(tenant: Tenant) -> CallCenterAgent:
    provider_id = 100 + CallCenterAgent.objects.filter(tenant=tenant).count()
    return CallCenterAgent.objects.create(
        tenant=tenant, provider_id=provider_id, name=f"Konsultant {provider_id}"
    )


def a_membership(tenant: Tenant) -> dict[str, int]:
    return {"agent_id": an_agent(tenant).pk, "campaign_id": a_campaign(tenant).pk}


OBJECTS = {
    "spikon:phonebook": a_phonebook,
    "spikon:phonebook-delete": a_phonebook,
    "spikon:entry-add": a_phonebook,
    "spikon:entry-delete": an_entry,
    "spikon:phonebook-export": a_phonebook,
    "spikon:phonebook-import": a_phonebook,
    "spikon:phonebook-import-detail": an_import,
    "spikon:phonebook-import-start": an_import,
    "spikon:phonebook-import-cancel": an_import,
    "spikon:history-report": a_report,
    "spikon:history-report-fetch-again": a_report,
    "spikon:history-call": a_recorded_call,
    "spikon:history-recording": a_recorded_call,
    "spikon:tts-announcement": an_announcement,
    "spikon:tts-audio": an_announcement_audio,
    "spikon:tts-delete": an_announcement,
    "spikon:callcenter-inbound": a_membership,
    "spikon:callcenter-outbound": a_membership,
    "spikon:callcenter-default-outbound": lambda tenant: {"agent_id": an_agent(tenant).pk},
    "spikon:callcenter-monitor": lambda tenant: {"campaign_id": a_campaign(tenant).pk},
    "spikon:callcenter-wallboard": lambda tenant: {"campaign_id": a_campaign(tenant).pk},
}
