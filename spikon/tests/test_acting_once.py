"""A confirmation acts once, whatever happens to what it made; a request makes one attempt at the provider;
with the broker down, a page still tells the provider's outcome and records it.

Regression tests of issue 12's defects, against the sandbox over real HTTP.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from providers.formatting import phone
from providers.once import new_action_key
from spikon import sync
from spikon.models import PhoneAccount, SmsMessage, TtsAnnouncement
from tests.faults import use_broker_down

pytestmark = pytest.mark.usefixtures("english_pages")


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"spikon:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


ANNOUNCEMENT = {"language": "pl-PL", "voice": "Ewa", "name": "Powitanie 2", "text": "Dzień dobry."}


def checked_quote(client, tenant) -> str:
    price = client.post(url("tts-price", tenant), ANNOUNCEMENT)
    return re.search(r'name="quote" value="([^"]+)"', price.content.decode()).group(1)


@pytest.fixture
def voices(spikon_account, sandbox):
    sync.sync_voices(spikon_account.tenant_id)
    return spikon_account


# --- A text-to-speech confirmation is charged once ---------------------------------------------------------


@pytest.mark.django_db
def test_a_quote_posted_again_after_its_announcement_was_deleted_here_generates_nothing(
    login, operator, voices, sandbox
):
    client = login(operator)
    quote = checked_quote(client, voices.tenant)
    client.post(url("tts-generate", voices.tenant), {"quote": quote})
    made = TtsAnnouncement.objects.get()
    client.post(url("tts-delete", voices.tenant, announcement_id=made.pk), {"confirm": made.name})
    assert not TtsAnnouncement.objects.exists() and sandbox.request_count("/api/tts/delete") == 1

    again = client.post(url("tts-generate", voices.tenant), {"quote": quote}, follow=True)

    assert again.status_code == 200 and "already sent with this form" in again.content.decode()
    assert sandbox.request_count("/api/tts/generate") == 1
    assert not TtsAnnouncement.objects.exists()


@pytest.mark.django_db
def test_a_quote_posted_again_after_its_announcement_was_deleted_at_the_provider_generates_nothing(
    login, operator, voices, sandbox
):
    client = login(operator)
    quote = checked_quote(client, voices.tenant)
    client.post(url("tts-generate", voices.tenant), {"quote": quote})
    made = TtsAnnouncement.objects.get()
    voices.client(in_request=True).delete_tts(made.provider_id)
    sync.sync_announcements(voices.tenant_id)
    assert not TtsAnnouncement.objects.filter(pk=made.pk).exists()

    again = client.post(url("tts-generate", voices.tenant), {"quote": quote}, follow=True)

    assert again.status_code == 200 and "already sent with this form" in again.content.decode()
    assert sandbox.request_count("/api/tts/generate") == 1


# --- A request makes one attempt -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_read_in_a_request_is_not_retried(login, operator, voices, sandbox):
    """A provider answering 502 (which background reads retry) is asked once while a member waits."""
    sandbox.set_fault("/api/tts/price", "html")

    response = login(operator).post(url("tts-price", voices.tenant), ANNOUNCEMENT)

    assert response.status_code == 400
    assert sandbox.request_count("/api/tts/price") == 1


# --- The broker is down ------------------------------------------------------------------------------------
# The requests' transactions commit for real here: their on-commit queuing runs as in production.


@pytest.mark.django_db(transaction=True)
def test_an_sms_batch_with_the_broker_down_is_sent_to_everyone_and_audited(
    login, operator, spikon_account, sandbox, monkeypatch
):
    client = login(operator)
    data = {
        "form_key": new_action_key(),
        "sender": "INFO",
        "recipients": "601000111\n601000222\n601000333",
        "message": "Dzień dobry",
    }
    review = client.post(url("sms-send", spikon_account.tenant), {**data, "action": "review"})
    digest = re.search(r'name="reviewed" value="([0-9a-f]+)"', review.content.decode()).group(1)
    use_broker_down(monkeypatch)

    response = client.post(
        url("sms-send", spikon_account.tenant), {**data, "action": "send", "reviewed": digest}
    )

    assert response.status_code == 302
    assert sandbox.request_count("/api/sms/send") == 3
    sent = SmsMessage.objects.filter(tenant=spikon_account.tenant)
    assert sorted(sent.values_list("send_status", flat=True)) == ["accepted"] * 3
    assert AuditEvent.objects.get(action="spikon.sms.send").outcome == "success"
    log = client.get(response["Location"]).content.decode()
    assert "SMS accepted by the provider" in log and phone("601000333") in log


@pytest.mark.django_db(transaction=True)
def test_generating_an_announcement_with_the_broker_down_tells_and_records_it(
    login, operator, voices, sandbox, monkeypatch
):
    client = login(operator)
    quote = checked_quote(client, voices.tenant)
    use_broker_down(monkeypatch)

    response = client.post(url("tts-generate", voices.tenant), {"quote": quote}, follow=True)

    assert response.status_code == 200 and "is being generated" in response.content.decode()
    assert sandbox.request_count("/api/tts/generate") == 1
    made = TtsAnnouncement.objects.get()
    assert made.state == "pending" and made.provider_id is not None and made.next_poll_at is not None
    assert AuditEvent.objects.get(action="spikon.tts.generate").outcome == "success"


@pytest.mark.django_db(transaction=True)
def test_a_click_to_call_with_the_broker_down_tells_and_records_it(
    login, operator, spikon_account, sandbox, monkeypatch
):
    sync.sync_account(spikon_account.tenant_id)
    phone_account = PhoneAccount.objects.filter(tenant=spikon_account.tenant).first()
    use_broker_down(monkeypatch)

    response = login(operator).post(
        url("click-to-call", spikon_account.tenant),
        {"form_key": new_action_key(), "phone_account": phone_account.pk, "destination": "601234567"},
        follow=True,
    )

    assert response.status_code == 200 and "Call initiated" in response.content.decode()
    assert sandbox.request_count("/api/call/initiate") == 1
    assert AuditEvent.objects.get(action="spikon.call.initiate").outcome == "success"
