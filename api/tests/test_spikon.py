"""SPIKON endpoints against the sandbox over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Role
from api.tests.conftest import provider_calls
from spikon.models import (
    CallCenterAgent,
    CallHistoryReport,
    CallRecord,
    PhoneAccount,
    PhoneBook,
    PhoneBookEntry,
    SmsMessage,
    TtsAnnouncement,
    TtsVoice,
)
from tests.faults import use_short_timeouts

pytestmark = pytest.mark.django_db


def a_book(tenant) -> PhoneBook:
    return PhoneBook.objects.filter(tenant=tenant, entries__isnull=False).exclude(name="").distinct().first()


def test_balance_and_phone_accounts(api_as, all_synced, tenant):
    api = api_as(Role.VIEWER)
    balance = api.get("/spikon/balance").json()
    assert balance["balance"] is not None and balance["read_at"] is not None
    accounts = api.get("/spikon/phone-accounts").json()
    assert len(accounts) == PhoneAccount.objects.filter(tenant=tenant).count() > 0
    assert {"registered", "number"} <= set(accounts[0])


def test_phonebooks_and_a_search_in_one(api_as, all_synced, tenant):
    api = api_as(Role.VIEWER)
    books = api.get("/spikon/phonebooks").json()
    assert len(books) == PhoneBook.objects.filter(tenant=tenant).count() > 0
    book = a_book(tenant)
    entry = book.entries.first()
    found = api.get(f"/spikon/phonebooks/{book.pk}/entries", q=entry.number).json()["items"]
    assert entry.pk in [row["id"] for row in found]
    assert api_as("outsider").get(f"/spikon/phonebooks/{book.pk}/entries").status_code == 404


def test_add_and_delete_a_phonebook(api_as, all_synced, tenant):
    api = api_as(Role.OPERATOR)
    assert api_as(Role.VIEWER).post("/spikon/phonebooks", {"name": "Z API"}).status_code == 403
    added = api.post("/spikon/phonebooks", {"name": "Z API"})
    assert added.status_code == 201, added.content
    book_id = added.json()["id"]
    assert api.post("/spikon/phonebooks", {"name": "Z API"}).json()["errors"][0]["field"] == "name"
    assert api_as("outsider").delete(f"/spikon/phonebooks/{book_id}").status_code == 404
    assert api.delete(f"/spikon/phonebooks/{book_id}").status_code == 204
    assert not PhoneBook.objects.filter(pk=book_id).exists()
    assert AuditEvent.objects.filter(
        tenant=tenant, action="spikon.phonebook.delete", username__contains="API token"
    ).exists()


def test_add_and_delete_an_entry(api_as, all_synced, tenant):
    api = api_as(Role.OPERATOR)
    book = a_book(tenant)
    bad = api.post(f"/spikon/phonebooks/{book.pk}/entries", {"name": "Jan", "number": "abc"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "number"
    added = api.post(f"/spikon/phonebooks/{book.pk}/entries", {"name": "Jan", "number": "+48 601 000 111"})
    assert added.status_code == 201, added.content
    entry_id = added.json()["id"]
    assert api_as(Role.VIEWER).delete(f"/spikon/phonebooks/{book.pk}/entries/{entry_id}").status_code == 403
    assert api.delete(f"/spikon/phonebooks/{book.pk}/entries/{entry_id}").status_code == 204
    assert not PhoneBookEntry.objects.filter(pk=entry_id).exists()


def test_click_to_call_once_per_key(api_as, all_synced, tenant):
    api = api_as(Role.OPERATOR)
    phone = PhoneAccount.objects.filter(tenant=tenant).first()
    body = {"phone_account_id": phone.pk, "destination": "601234567"}
    mark = all_synced.mark()
    first = api.post("/spikon/calls", body, key="call-1")
    again = api.post("/spikon/calls", body, key="call-1")
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "initiated"
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert len(provider_calls(all_synced, mark, "spikon", "call/initiate")) == 1
    assert api.post("/spikon/calls", {**body, "destination": "601234568"}, key="call-1").status_code == 422


def test_click_to_call_checks_its_input_and_role(api_as, all_synced, tenant):
    phone = PhoneAccount.objects.filter(tenant=tenant).first()
    body = {"phone_account_id": phone.pk, "destination": "601234567"}
    assert api_as(Role.VIEWER).post("/spikon/calls", body, key="k").status_code == 403
    foreign = api_as("outsider").post("/spikon/calls", body, key="k")
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "phone_account_id"
    bad = api_as(Role.OPERATOR).post("/spikon/calls", {**body, "destination": "x"}, key="k")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "destination"
    assert api_as(Role.OPERATOR).post("/spikon/calls", body).status_code == 422  # no Idempotency-Key


def test_sms_sent_once_per_key_and_its_delivery_state(api_as, all_synced, tenant):
    api = api_as(Role.OPERATOR)
    body = {"sender": "2way", "recipients": ["601234567", "+48 602 345 678"], "text": "Test z API"}
    mark = all_synced.mark()
    first = api.post("/spikon/sms", body, key="sms-1")
    again = api.post("/spikon/sms", body, key="sms-1")
    assert first.status_code == 201, first.content
    assert [m["recipient"] for m in first.json()["messages"]] == ["601234567", "602345678"]
    assert {m["send_status"] for m in first.json()["messages"]} == {"accepted"}
    assert again.json() == first.json()
    assert len(provider_calls(all_synced, mark, "spikon", "sms/send")) == 2
    batch_id = first.json()["id"]
    assert (
        api_as(Role.VIEWER).get(f"/spikon/sms/{batch_id}").json()["messages"][0]["recipient"] == "601234567"
    )
    assert api_as("outsider").get(f"/spikon/sms/{batch_id}").status_code == 404
    assert SmsMessage.objects.filter(batch_id=batch_id).count() == 2


def test_sms_refuses_bad_input(api_as, all_synced):
    api = api_as(Role.OPERATOR)
    bad = api.post("/spikon/sms", {"sender": "2way", "recipients": ["12"], "text": "x"}, key="s1")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "recipients"
    empty = api.post("/spikon/sms", {"sender": "2way", "recipients": ["601234567"], "text": " "}, key="s2")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"
    assert (
        api_as(Role.VIEWER)
        .post("/spikon/sms", {"sender": "2way", "recipients": ["601234567"], "text": "x"}, key="s3")
        .status_code
        == 403
    )


def test_call_history_report_and_calls(api_as, all_synced, tenant):
    api = api_as(Role.OPERATOR)
    today = timezone.localdate()
    ordered = api.post(
        "/spikon/history/reports", {"date_start": str(today - timedelta(days=7)), "date_end": str(today)}
    )
    assert ordered.status_code == 201, ordered.content
    state = api_as(Role.VIEWER).get(f"/spikon/history/reports/{ordered.json()['id']}").json()
    assert state["state"] == "pending"
    backwards = api.post(
        "/spikon/history/reports", {"date_start": str(today), "date_end": str(today - timedelta(days=1))}
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "date_end"
    assert (
        api_as(Role.VIEWER)
        .post("/spikon/history/reports", {"date_start": str(today), "date_end": str(today)})
        .status_code
        == 403
    )
    report = CallHistoryReport.objects.filter(tenant=tenant, state=CallHistoryReport.State.STORED).first()
    assert api_as("outsider").get(f"/spikon/history/reports/{report.pk}").status_code == 404
    calls = api_as(Role.VIEWER).get("/spikon/history/calls", limit=5).json()
    assert len(calls["items"]) == 5 and calls["next_cursor"]


def test_a_recording_is_fetched_once_and_served(api_as, all_synced, tenant):
    call = CallRecord.objects.filter(tenant=tenant, has_recording=True).exclude(recording_url="").first()
    api = api_as(Role.VIEWER)
    mark = all_synced.mark()
    first = api.get(f"/spikon/history/calls/{call.public_id}/recording")
    assert first.status_code == 200, first.content
    assert b"".join(first.streaming_content)
    assert api.get(f"/spikon/history/calls/{call.public_id}/recording").status_code == 200
    assert len(provider_calls(all_synced, mark, "spikon", "get_playback_file")) == 1
    assert api_as("outsider").get(f"/spikon/history/calls/{call.public_id}/recording").status_code == 404


def test_announcement_priced_then_generated_once(api_as, all_synced, tenant):
    api = api_as(Role.OPERATOR)
    voice = TtsVoice.objects.filter(tenant=tenant).select_related("language").first()
    body = {
        "language": voice.language.code,
        "voice": voice.name,
        "name": "Powitanie API",
        "text": "Dzień dobry.",
    }
    price = api.post("/spikon/announcements/price", body)
    assert price.status_code == 200, price.content
    quote = price.json()["quote"]
    mark = all_synced.mark()
    first = api.post("/spikon/announcements", {"quote": quote}, key="tts-1")
    again = api.post("/spikon/announcements", {"quote": quote}, key="tts-1")
    other_key = api.post("/spikon/announcements", {"quote": quote}, key="tts-2")
    assert first.status_code == 201, first.content
    assert again.json() == first.json()
    assert other_key.status_code == 409  # the quote itself is used once
    assert len(provider_calls(all_synced, mark, "spikon", "tts/generate")) == 1
    item_id = first.json()["id"]
    assert api_as(Role.VIEWER).get(f"/spikon/announcements/{item_id}").json()["state"] == "pending"
    assert api.get(f"/spikon/announcements/{item_id}/audio.mp3").status_code == 409


def test_announcement_input_and_roles(api_as, all_synced, tenant):
    voice = TtsVoice.objects.filter(tenant=tenant).select_related("language").first()
    body = {"language": voice.language.code, "voice": "nobody", "name": "X", "text": "Y"}
    bad = api_as(Role.OPERATOR).post("/spikon/announcements/price", body)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "voice"
    forged = api_as(Role.OPERATOR).post("/spikon/announcements", {"quote": "forged"}, key="f")
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "quote"
    assert (
        api_as(Role.VIEWER).post("/spikon/announcements/price", {**body, "voice": voice.name}).status_code
        == 403
    )


def test_stored_announcement_audio_and_delete(api_as, all_synced, tenant):
    item = TtsAnnouncement.objects.filter(tenant=tenant, state=TtsAnnouncement.State.STORED).first()
    api = api_as(Role.OPERATOR)
    listed = api.get("/spikon/announcements").json()["items"]
    assert item.pk in [row["id"] for row in listed]
    for audio_format in ("mp3", "wav"):
        audio = api.get(f"/spikon/announcements/{item.pk}/audio.{audio_format}")
        assert audio.status_code == 200
        assert b"".join(audio.streaming_content)
    assert api_as("outsider").get(f"/spikon/announcements/{item.pk}/audio.mp3").status_code == 404
    assert api_as(Role.VIEWER).delete(f"/spikon/announcements/{item.pk}").status_code == 403
    assert api.delete(f"/spikon/announcements/{item.pk}").status_code == 204
    assert not TtsAnnouncement.objects.filter(pk=item.pk).exists()


def test_call_center_matrix_toggle_and_default(api_as, all_synced, tenant):
    matrix = api_as(Role.VIEWER).get("/spikon/callcenter").json()
    assert len(matrix["agents"]) == CallCenterAgent.objects.filter(tenant=tenant).count() > 0
    agent, campaign = next(
        (agent, campaign)
        for agent in matrix["agents"]
        for campaign in matrix["campaigns"]
        if campaign["id"] not in agent["incoming_campaign_ids"]
    )
    api = api_as(Role.OPERATOR)
    mark = all_synced.mark()
    added = api.put(f"/spikon/callcenter/agents/{agent['id']}/incoming/{campaign['id']}", {"member": True})
    assert added.status_code == 200, added.content
    assert campaign["id"] in added.json()["incoming_campaign_ids"]
    assert len(provider_calls(all_synced, mark, "spikon", "cc_in_campaign/add_agent")) == 1
    assert (
        api_as(Role.VIEWER)
        .put(f"/spikon/callcenter/agents/{agent['id']}/incoming/{campaign['id']}", {"member": False})
        .status_code
        == 403
    )
    assert (
        api_as("outsider")
        .put(f"/spikon/callcenter/agents/{agent['id']}/incoming/{campaign['id']}", {"member": False})
        .status_code
        == 404
    )
    wrong_way = api.put(
        f"/spikon/callcenter/agents/{agent['id']}/sideways/{campaign['id']}", {"member": True}
    )
    assert wrong_way.status_code == 422 and wrong_way.json()["errors"][0]["field"] == "direction"
    api.put(f"/spikon/callcenter/agents/{agent['id']}/outgoing/{campaign['id']}", {"member": True})
    default = api.put(
        f"/spikon/callcenter/agents/{agent['id']}/default-outgoing", {"campaign_id": campaign["id"]}
    )
    assert default.status_code == 200, default.content
    assert default.json()["default_outgoing_campaign_id"] == campaign["id"]
    missing = api.put(f"/spikon/callcenter/agents/{agent['id']}/default-outgoing", {"campaign_id": 0})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "campaign_id"


def test_a_call_of_unknown_outcome_is_answered_so_again_and_never_repeated(
    monkeypatch, api_as, all_synced, tenant
):
    use_short_timeouts(monkeypatch)
    all_synced.spikon.fault_timeout_seconds = 0.5
    all_synced.spikon.set_fault("/api/call/initiate", "timeout")
    phone = PhoneAccount.objects.filter(tenant=tenant).first()
    body = {"phone_account_id": phone.pk, "destination": "601234567"}
    api = api_as(Role.OPERATOR)
    mark = all_synced.mark()
    first = api.post("/spikon/calls", body, key="lost-call")
    assert first.status_code == 503 and first.json()["type"].endswith("/outcome-unknown")
    all_synced.spikon.clear_faults()
    again = api.post("/spikon/calls", body, key="lost-call")
    assert again.status_code == 503 and again["Idempotent-Replayed"] == "true"
    assert len(provider_calls(all_synced, mark, "spikon", "call/initiate")) == 1
