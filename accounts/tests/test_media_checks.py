"""Stored media is what it claims: recordings and audio are checked by their content before they are
stored or served, and never served as a page."""

from __future__ import annotations

import struct
from datetime import timedelta

import pytest
import responses
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.media_checks import audio_type, download_type
from spikon.models import CallDirection, CallRecord, SpikonAccount

BASE = "https://provider.test"
# One MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) and its frame: a file of two frames.
MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(413)
MP3 = MP3_FRAME * 2
WAV = (
    b"RIFF" + struct.pack("<I", 36 + 4) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
)
WAV += b"data" + struct.pack("<I", 4) + bytes(4)
ID3_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10) + MP3
PAGE = b'\xef\xbb\xbf<meta http-equiv="refresh" content="0;url=https://login.evil.example/">'


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (MP3, "audio/mpeg"),
        (ID3_MP3, "audio/mpeg"),
        (WAV, "audio/wav"),
        (PAGE, None),
        (b"<html><body>Not found</body></html>", None),
        (b"ID3<html>", None),
        (b"RIFF\x00\x00\x00\x00<html>", None),
        (b"\xff\xff\xff\xff<script>", None),
        (b"", None),
    ],
)
def test_audio_is_recognised_by_its_content(head, expected):
    assert audio_type(head) == expected


@pytest.fixture
def a_recorded_call(tenant):
    SpikonAccount.objects.create(tenant=tenant, api_key="SPKkey-Media-123456", base_url=BASE)
    return CallRecord.objects.create(
        tenant=tenant,
        started_at=timezone.now() - timedelta(minutes=5),
        source="601234567",
        destination="583001100",
        duration_seconds=60,
        state="Odebrane",
        direction=CallDirection.INCOMING,
        has_recording=True,
        recording_url=f"{BASE}/recordings/1.mp3",
    )


def _play(client, call):
    return client.get(reverse("spikon:history-recording", args=[call.tenant.slug, call.public_id]))


def test_a_provider_recording_that_is_a_page_is_refused_not_served(a_recorded_call, viewer, client):
    client.force_login(viewer)
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/recordings/1.mp3", body=PAGE, content_type="text/html")
        response = _play(client, a_recorded_call)
    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/plain")
    assert "nagrania" in response.content.decode()
    a_recorded_call.refresh_from_db()
    assert not a_recorded_call.recording_audio


def test_a_stored_file_that_is_not_audio_is_never_served(a_recorded_call, viewer, client):
    name = default_storage.save("spikon/old/recording.mp3", ContentFile(PAGE))
    CallRecord.objects.filter(pk=a_recorded_call.pk).update(
        recording_audio=name, recording_content_type="text/html"
    )
    client.force_login(viewer)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:  # if fetched again: refused
        mock.get(f"{BASE}/recordings/1.mp3", body=PAGE, content_type="text/html")
        response = _play(client, a_recorded_call)
    assert response.status_code in (404, 502)
    assert b"refresh" not in response.content


def test_a_recording_is_served_with_the_type_its_content_has(a_recorded_call, viewer, client):
    client.force_login(viewer)
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/recordings/1.mp3", body=MP3, content_type="text/html")
        response = _play(client, a_recorded_call)
        assert response["Content-Type"] == "audio/mpeg"
        assert response["Content-Disposition"].startswith("inline; filename=")
        part = client.get(
            reverse(
                "spikon:history-recording", args=[a_recorded_call.tenant.slug, a_recorded_call.public_id]
            ),
            HTTP_RANGE="bytes=0-9",
        )
    assert part.status_code == 206 and part["Content-Type"] == "audio/mpeg"
    assert part["Content-Disposition"].startswith("inline; filename=")


@pytest.mark.parametrize(
    ("claimed", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("Application/PDF; name=x.pdf", "application/pdf"),
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("", "application/octet-stream"),
    ],
)
def test_a_provider_document_is_served_only_as_a_harmless_type(claimed, served):
    assert download_type(claimed) == served


def test_an_invoice_the_provider_called_a_page_is_downloaded_as_bytes(tenant, viewer, client):
    from decimal import Decimal

    from premium.models import Invoice

    invoice = Invoice.objects.create(
        tenant=tenant, provider_id=1, title="1/2025", amount_net=Decimal(1), paid=True, issued_at=timezone.now(),
        content_type="image/svg+xml",
    )  # fmt: skip
    invoice.file.save("f.svg", ContentFile(b"<svg onload=alert(1)></svg>"))
    client.force_login(viewer)
    response = client.get(reverse("premium:invoice-download", args=[tenant.slug, invoice.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
