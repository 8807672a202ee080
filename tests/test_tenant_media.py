"""Stored files of a tenant (invoices, call recordings, TTS audio) reach only the members of that tenant,
through views that check the membership; no URL serves the media storage itself, and a stored file's
name cannot be guessed from anything the object is known by.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import PurePosixPath

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.static import serve

from accounts.models import Tenant
from premium.models import Invoice
from spikon.models import CallRecord, TtsAnnouncement

MOMENT = datetime(2025, 6, 30, 21, 0, tzinfo=UTC)
# Audio is served only when its content is audio: a WAV header, and an ID3 tag longer than the file.
WAV_HEAD = b"RIFF\x24\x00\x00\x00WAVEfmt "
MP3_HEAD = b"ID3\x04\x00\x00\x00\x00\x02\x00"


def an_invoice(tenant: Tenant) -> Invoice:
    invoice = Invoice.objects.create(
        tenant=tenant, provider_id=307, title="1/06/2025", amount_net=Decimal(40), paid=True, issued_at=MOMENT
    )
    invoice.file.save("faktura-307.pdf", ContentFile(f"%PDF-1.4 invoice of {tenant.slug}".encode()))
    return invoice


def a_recorded_call(tenant: Tenant) -> CallRecord:
    call = CallRecord.objects.create(
        tenant=tenant,
        started_at=MOMENT,
        source="601234567",
        destination="583001100",
        duration_seconds=61,
        state="Odebrane",
        has_recording=True,
        recording_url="https://panel.spikon.pl/channels/lists/call/get_playback_file?id=1",
        recording_content_type="audio/wav",
    )
    call.recording_audio.save(
        "nagranie-1.wav", ContentFile(WAV_HEAD + f"recording of {tenant.slug}".encode())
    )
    return call


def an_announcement(tenant: Tenant) -> TtsAnnouncement:
    item = TtsAnnouncement.objects.create(
        tenant=tenant, provider_id=1, name="Powitanie", state=TtsAnnouncement.State.STORED
    )
    item.audio_mp3.save("tts-1.mp3", ContentFile(MP3_HEAD + f"announcement of {tenant.slug}".encode()))
    item.audio_wav.save("tts-1.wav", ContentFile(WAV_HEAD + f"announcement of {tenant.slug}".encode()))
    return item


@dataclass(frozen=True)
class Media:
    """One kind of stored file: an object holding one, the file field, and the view serving it."""

    kind: str
    make: Callable[[Tenant], models.Model]
    field: str
    url: Callable[[str, models.Model], str]


MEDIA = [
    Media(
        "invoice",
        an_invoice,
        "file",
        lambda slug, obj: reverse("premium:invoice-download", args=[slug, obj.pk]),
    ),
    Media(
        "recording",
        a_recorded_call,
        "recording_audio",
        lambda slug, obj: reverse("spikon:history-recording", args=[slug, obj.public_id]),
    ),
    Media(
        "tts-mp3",
        an_announcement,
        "audio_mp3",
        lambda slug, obj: reverse("spikon:tts-audio", args=[slug, obj.pk, "mp3"]),
    ),
    Media(
        "tts-wav",
        an_announcement,
        "audio_wav",
        lambda slug, obj: reverse("spikon:tts-audio", args=[slug, obj.pk, "wav"]),
    ),
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _guessed_urls(name: str) -> list[str]:
    """Everywhere a stored file might be reachable if some URL served the storage."""
    return [
        f"/media/{name}",
        f"/{settings.MEDIA_URL.strip('/')}/{name}".replace("//", "/"),
        f"/{name}",
        f"/static/{name}",
        f"/static/../media/{name}",
        f"/media/{PurePosixPath(name).name}",
    ]


@pytest.mark.parametrize("media", MEDIA, ids=[m.kind for m in MEDIA])
def test_a_stored_file_reaches_its_tenants_members_only(
    media, client, login, tenant, other_tenant, viewer, outsider, media_root
):
    mine, theirs = media.make(tenant), media.make(other_tenant)
    stored = getattr(mine, media.field)
    assert (media_root / stored.name).is_file()

    member = login(viewer)
    served = member.get(media.url(tenant.slug, mine))
    assert served.status_code == 200 and _content(served) == stored.open("rb").read()
    # A member of this tenant, asking for the other tenant's object by its id under this tenant's URL.
    assert member.get(media.url(tenant.slug, theirs)).status_code == 404
    assert member.get(media.url(other_tenant.slug, theirs)).status_code == 404

    stranger = login(outsider)  # an owner of the other tenant
    assert stranger.get(media.url(tenant.slug, mine)).status_code == 404
    assert stranger.get(media.url(other_tenant.slug, mine)).status_code == 404
    assert _content(stranger.get(media.url(other_tenant.slug, theirs))) != _content(served)

    for url in _guessed_urls(stored.name):
        assert stranger.get(url).status_code == 404, url
    client.logout()
    assert client.get(media.url(tenant.slug, mine)).status_code == 302  # to the login page
    for url in _guessed_urls(stored.name):
        assert client.get(url).status_code == 404, url


def _all_patterns(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _all_patterns(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry


def test_no_url_serves_the_media_storage():
    """No route is built on django.views.static.serve (what static()/MEDIA_URL helpers add), and the media
    folder lies outside everything WhiteNoise serves."""
    assert not [str(p.pattern) for p in _all_patterns(get_resolver().url_patterns) if p.callback is serve]
    media = settings.MEDIA_ROOT.resolve() if hasattr(settings.MEDIA_ROOT, "resolve") else settings.MEDIA_ROOT
    for served in [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]:
        assert not str(media).startswith(str(served)), served


@pytest.mark.parametrize("media", MEDIA, ids=[m.kind for m in MEDIA])
def test_stored_file_names_cannot_be_guessed(media, tenant, other_tenant):
    """The same provider object in two tenants (same provider id, same call), and the same object stored
    twice, get unrelated names: a random part of 128 bits, nothing of the object's ids or names."""
    first, second = media.make(tenant), media.make(other_tenant)
    names = [getattr(first, media.field).name, getattr(second, media.field).name]
    getattr(first, media.field).save("again.bin", ContentFile(b"again"))
    names.append(getattr(first, media.field).name)

    stems = [PurePosixPath(name).stem for name in names]
    assert all(re.fullmatch(r"[0-9a-f]{32}", stem) for stem in stems), names
    assert len(set(stems)) == 3
    # Nothing but the random part tells the two tenants' names apart: no shared run of 8 characters.
    assert not any(stems[0][i : i + 8] in stems[1] for i in range(len(stems[0]) - 7))
    # The folders hold the tenant and the kind of file, nothing of the object.
    folders = [
        re.sub(rf"(^|/){owner.pk}(/|$)", r"\1<tenant>\2", str(PurePosixPath(name).parent))
        for name, owner in zip(names, (tenant, other_tenant, tenant), strict=True)
    ]
    assert len(set(folders)) == 1 and "<tenant>" in folders[0], folders
