"""Text-to-speech pages: the list, choosing a voice, the price check, generating once, playing, deleting."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEvent
from spikon import sync
from spikon.client import TTS_TEXT_MAX_LENGTH
from spikon.forms import AnnouncementForm
from spikon.models import TtsAnnouncement
from spikon.services import QUOTE_SALT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def voices(spikon_account, sandbox):
    sync.sync_voices(spikon_account.tenant_id)
    return spikon_account


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"spikon:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def details(**overrides) -> dict[str, str]:
    return {
        "language": "pl-PL",
        "voice": "Ewa",
        "name": "Powitanie 2",
        "text": "Dzień dobry,\r\nzapraszamy.",
        **overrides,
    }


def quote_of(response) -> str:
    return re.search(r'name="quote" value="([^"]+)"', response.content.decode()).group(1)


def checked_price(client, tenant, **overrides):
    return client.post(url("tts-price", tenant), details(**overrides))


# --- choosing language and voice ---------------------------------------------------------------------------


def test_the_form_offers_the_voices_of_the_chosen_language(login, operator, voices):
    client = login(operator)
    page = client.get(url("tts-new", voices.tenant))
    text = page.content.decode()
    assert (
        page.status_code == 200 and 'value="pl-PL" selected' in text and "Jacek" in text and "Amy" not in text
    )
    assert 'hx-get="' + url("tts-voices", voices.tenant) in text and "tts-counter.js" in text
    assert f'maxlength="{TTS_TEXT_MAX_LENGTH}"' in text

    # Without JavaScript: "Show voices" reloads the page for the language, keeping name and text.
    step = client.get(
        url("tts-new", voices.tenant), {"language": "en-GB", "name": "Greeting", "text": "Hello"}
    )
    text = step.content.decode()
    assert (
        "Amy" in text
        and "Brian" in text
        and "Ewa" not in text
        and 'value="Greeting"' in text
        and "Hello</textarea>" in text
    )

    # With HTMX: only the voice field.
    partial = client.get(url("tts-voices", voices.tenant), {"language": "de-DE"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"Marlene" in partial.content and b"<html" not in partial.content


def test_the_form_asks_for_a_voices_sync_when_there_are_none(login, operator, spikon_account):
    page = login(operator).get(url("tts-new", spikon_account.tenant))
    assert (
        "have not been fetched" in page.content.decode()
        and 'id="sync-spikon-voices"' in page.content.decode()
    )


# --- price, confirmation and generation --------------------------------------------------------------------


def test_the_price_is_shown_net_and_gross_before_anything_is_generated(login, operator, voices, sandbox):
    response = checked_price(login(operator), voices.tenant, text="a" * 3000)
    text = response.content.decode()
    assert (
        response.status_code == 200
        and "9.00\N{NO-BREAK SPACE}zł" in text
        and "11.07\N{NO-BREAK SPACE}zł" in text
    )
    assert "Generate for 11.07\N{NO-BREAK SPACE}zł gross" in text
    assert sandbox.request_count("/api/tts/price") == 1 and sandbox.request_count("/api/tts/generate") == 0
    assert not TtsAnnouncement.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"text": "a" * (TTS_TEXT_MAX_LENGTH + 1)}, "text"),
        ({"text": "   "}, "text"),
        ({"voice": "Amy"}, "voice"),  # a voice of another language
        ({"language": "xx-XX"}, "language"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_announcement_details_are_refused_before_the_provider(
    login, operator, voices, sandbox, overrides, field
):
    response = checked_price(login(operator), voices.tenant, **overrides)
    assert response.status_code == 400 and field in response.context["form"].errors
    assert sandbox.request_count("/api/tts/price") == 0


@pytest.mark.parametrize(("extra", "said"), [(2, "Treść ma 3002 znaki;"), (5, "Treść ma 3005 znaków;")])
def test_a_too_long_text_is_counted_in_polish_plural_forms(tenant, extra, said):
    form = AnnouncementForm({"text": "a" * (TTS_TEXT_MAX_LENGTH + extra)}, tenant=tenant)
    with translation.override("pl"):
        assert not form.is_valid()
        assert said in form.errors["text"][0]


def test_line_breaks_count_as_one_character(login, operator, voices):
    text = ("a" * 99 + "\r\n") * 30  # 3000 characters as the page counts them, 3030 as sent
    assert checked_price(login(operator), voices.tenant, text=text).status_code == 200


def test_generating_happens_once_even_when_the_form_is_sent_twice(
    login, operator, voices, sandbox, django_capture_on_commit_callbacks
):
    client = login(operator)
    quote = quote_of(checked_price(client, voices.tenant))

    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(url("tts-generate", voices.tenant), {"quote": quote})
    second = client.post(url("tts-generate", voices.tenant), {"quote": quote}, follow=True)

    assert first.status_code == 302 and first["Location"] == url("tts", voices.tenant)
    assert "already sent with this form" in second.content.decode()
    assert sandbox.request_count("/api/tts/generate") == 1 and len(queued) == 1
    item = TtsAnnouncement.objects.get(created_by__isnull=False)
    assert (item.state, item.provider_id, item.name, item.voice) == ("pending", 3, "Powitanie 2", "Ewa")
    assert (
        item.text == "Dzień dobry,\nzapraszamy."
        and str(item.cost_gross) == "1.85"
        and item.created_by == operator
    )
    event = AuditEvent.objects.get(action="spikon.tts.generate")
    assert event.outcome == "success" and event.changes["price gross"] == [None, "1.85"]


def test_a_tampered_or_foreign_quote_generates_nothing(login, operator, voices, sandbox, other_tenant):
    client = login(operator)
    forged = signing.dumps({"tenant": other_tenant.pk, "key": "k" * 32}, salt=QUOTE_SALT)
    for quote in ("garbage", quote_of(checked_price(client, voices.tenant)) + "x", forged):
        response = client.post(url("tts-generate", voices.tenant), {"quote": quote})
        assert response.status_code == 302 and response["Location"] == url("tts-new", voices.tenant)
    assert sandbox.request_count("/api/tts/generate") == 0 and not TtsAnnouncement.objects.exists()


def test_a_refused_generation_keeps_nothing_and_shows_why(login, operator, voices, sandbox):
    client = login(operator)
    quote = quote_of(checked_price(client, voices.tenant))
    sandbox.api_enabled = False

    response = client.post(url("tts-generate", voices.tenant), {"quote": quote})

    assert response.status_code == 400 and "API turned off" in response.content.decode()
    assert "Powitanie 2" in response.content.decode()  # the form comes back filled in
    assert not TtsAnnouncement.objects.exists()
    assert AuditEvent.objects.get(action="spikon.tts.generate").outcome == "failure"


def test_an_unanswered_generation_is_unknown_and_never_resent(
    login, operator, voices, sandbox, fast_timeouts
):
    client = login(operator)
    quote = quote_of(checked_price(client, voices.tenant))
    sandbox.set_fault("/api/tts/generate", "timeout", times=1)

    response = client.post(url("tts-generate", voices.tenant), {"quote": quote}, follow=True)
    client.post(url("tts-generate", voices.tenant), {"quote": quote})

    item = TtsAnnouncement.objects.get()
    assert (
        item.state == "unknown"
        and item.provider_id is None
        and "Outcome unknown" in response.content.decode()
    )
    assert sandbox.request_count("/api/tts/generate") == 1


def test_generating_needs_the_operator_role_and_post(login, viewer, operator, voices):
    assert login(viewer).get(url("tts-new", voices.tenant)).status_code == 403
    assert login(viewer).post(url("tts-price", voices.tenant), details()).status_code == 403
    assert login(viewer).post(url("tts-generate", voices.tenant), {"quote": "x"}).status_code == 403
    assert login(operator).get(url("tts-generate", voices.tenant)).status_code == 405
    assert login(operator).get(url("tts-price", voices.tenant)).status_code == 405


# --- the list, playing and downloading ---------------------------------------------------------------------


def stored_announcement(tenant, media_root, **fields) -> TtsAnnouncement:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    mp3 = default_storage.save(
        f"spikon/{tenant.pk}/ttsannouncement/a.mp3",
        ContentFile(b"ID3\x04\x00\x00\x00\x00\x02\x00" + bytes(200)),
    )
    wav = default_storage.save(
        f"spikon/{tenant.pk}/ttsannouncement/a.wav", ContentFile(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(200))
    )
    values = {"provider_id": 7, "name": "Powitanie", "state": "stored", "poll_status": "finished", **fields}
    return TtsAnnouncement.objects.create(tenant=tenant, audio_mp3=mp3, audio_wav=wav, **values)


def test_the_list_shows_players_downloads_and_polls_only_running_rows(
    login, viewer, tenant, media_root, django_assert_max_num_queries
):
    stored_announcement(tenant, media_root)
    running = TtsAnnouncement.objects.create(
        tenant=tenant, provider_id=8, name="<script>alert(1)</script>", state="pending"
    )
    client = login(viewer)
    with django_assert_max_num_queries(12):
        page = client.get(url("tts", tenant))
    text = page.content.decode()
    assert page.status_code == 200 and text.count("<audio") == 1 and "WAV 8 kHz" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert(1)" not in text
    assert text.count('hx-trigger="every 2s"') == 1 and "Delete" not in text  # a viewer deletes nothing

    row = client.get(url("tts-announcement", tenant, announcement_id=running.pk), HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and b"<tr" in row.content
    TtsAnnouncement.objects.filter(pk=running.pk).update(state="stored", poll_status="finished")
    done = client.get(url("tts-announcement", tenant, announcement_id=running.pk), HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and b"hx-trigger" not in done.content


def test_the_audio_is_served_as_mp3_or_wav_only_to_the_tenant(
    login, viewer, outsider, tenant, other_tenant, media_root
):
    item = stored_announcement(tenant, media_root)
    client = login(viewer)
    mp3 = client.get(url("tts-audio", tenant, announcement_id=item.pk, audio_format="mp3"))
    assert (
        mp3.status_code == 200
        and mp3["Content-Type"] == "audio/mpeg"
        and b"".join(mp3.streaming_content)[:3] == b"ID3"
    )
    wav = client.get(url("tts-audio", tenant, announcement_id=item.pk, audio_format="wav"), {"download": "1"})
    assert (
        wav["Content-Type"] == "audio/wav" and 'filename="announcement-7.wav"' in wav["Content-Disposition"]
    )
    assert (
        client.get(url("tts-audio", tenant, announcement_id=item.pk, audio_format="ogg")).status_code == 404
    )
    not_yet = TtsAnnouncement.objects.create(tenant=tenant, provider_id=9, name="X", state="pending")
    assert (
        client.get(url("tts-audio", tenant, announcement_id=not_yet.pk, audio_format="mp3")).status_code
        == 409
    )

    theirs = login(outsider)
    assert (
        theirs.get(url("tts-audio", tenant, announcement_id=item.pk, audio_format="mp3")).status_code == 404
    )
    assert (
        theirs.get(url("tts-audio", other_tenant, announcement_id=item.pk, audio_format="mp3")).status_code
        == 404
    )
    assert theirs.get(url("tts-announcement", other_tenant, announcement_id=item.pk)).status_code == 404
    assert (
        theirs.post(
            url("tts-delete", other_tenant, announcement_id=item.pk), {"confirm": "Powitanie"}
        ).status_code
        == 404
    )


# --- deleting ----------------------------------------------------------------------------------------------


def test_deleting_asks_for_the_name_then_deletes_there_and_here(
    login, operator, spikon_account, sandbox, media_root, django_capture_on_commit_callbacks
):
    item = stored_announcement(spikon_account.tenant, media_root, provider_id=1)
    client = login(operator)
    page = client.get(url("tts-delete", item.tenant, announcement_id=item.pk))
    assert page.status_code == 200 and 'data-confirm-word="Powitanie"' in page.content.decode()

    wrong = client.post(url("tts-delete", item.tenant, announcement_id=item.pk), {"confirm": "powitanie"})
    assert wrong.status_code == 400 and sandbox.request_count("/api/tts/delete") == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("tts-delete", item.tenant, announcement_id=item.pk), {"confirm": " Powitanie "}
        )
    assert response.status_code == 302 and not TtsAnnouncement.objects.filter(pk=item.pk).exists()
    assert sandbox.request_count("/api/tts/delete") == 1
    assert [a.id for a in spikon_account.client(in_request=True).tts_announcements()] == [2]
    assert not any(path.is_file() for path in media_root.rglob("*"))
    event = AuditEvent.objects.get(action="spikon.tts.delete")
    assert event.outcome == "success" and event.changes == {"name": ["Powitanie", None]}


def test_a_refused_delete_keeps_the_announcement(login, operator, spikon_account, sandbox, media_root):
    item = stored_announcement(spikon_account.tenant, media_root, provider_id=1)
    sandbox.api_enabled = False
    response = login(operator).post(
        url("tts-delete", item.tenant, announcement_id=item.pk), {"confirm": "Powitanie"}
    )
    assert response.status_code == 400 and "API turned off" in response.content.decode()
    assert TtsAnnouncement.objects.filter(pk=item.pk).exists()
    assert AuditEvent.objects.get(action="spikon.tts.delete").outcome == "failure"


def test_an_announcement_already_gone_at_the_provider_goes_here_too(
    login, operator, spikon_account, sandbox, media_root
):
    item = stored_announcement(spikon_account.tenant, media_root, provider_id=4242)
    response = login(operator).post(
        url("tts-delete", item.tenant, announcement_id=item.pk), {"confirm": "Powitanie"}
    )
    assert response.status_code == 302 and not TtsAnnouncement.objects.filter(pk=item.pk).exists()


def test_deleting_needs_the_operator_role_and_get_or_post(login, viewer, operator, tenant, media_root):
    item = stored_announcement(tenant, media_root)
    assert login(viewer).get(url("tts-delete", tenant, announcement_id=item.pk)).status_code == 403
    assert (
        login(viewer)
        .post(url("tts-delete", tenant, announcement_id=item.pk), {"confirm": "Powitanie"})
        .status_code
        == 403
    )
    assert login(operator).put(url("tts-delete", tenant, announcement_id=item.pk)).status_code == 405
